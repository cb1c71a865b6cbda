using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>Log-probabilities of given tokens under a model, batched, gathered on the device (no [batch, seq, vocab] copy to the host).</summary>
public static class TokenLogProbs
{
    /// <summary>log p(target) for logits [..., vocab] and targets [...]: logit of the target minus the log-sum-exp, in float32.</summary>
    public static Tensor Gather(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var values = logits.to(ScalarType.Float32);
        var picked = values.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        return (picked - values.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-token log-probabilities of each completion after its prompt: rows laid out as [left-padded prompt | right-padded
    /// completion], one forward pass, the vocabulary projection only over the positions that predict completion tokens.
    /// Returns [batch, longest completion] log-probs and the mask of real completion tokens. Gradients flow when enabled
    /// (policy-gradient training); wrap in no_grad for scoring.
    /// </summary>
    public static (Tensor LogProbs, Tensor Mask) OfCompletions(Qwen3ForCausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<IReadOnlyList<int>> completions, int padId)
    {
        var scores = Score(model, prompts, completions, padId, withEntropy: false);
        return (scores.LogProbs, scores.Mask);
    }

    /// <summary>
    /// As <see cref="OfCompletions"/>, and with <paramref name="withEntropy"/> the entropy of the model's distribution at
    /// each completion position ([batch, longest completion], 0 on padding; detached: a statistic, never a loss term).
    /// </summary>
    public static CompletionScores Score(Qwen3ForCausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<IReadOnlyList<int>> completions, int padId, bool withEntropy)
    {
        if (prompts.Count == 0 || prompts.Count != completions.Count)
            throw new ArgumentException($"prompts ({prompts.Count}) and completions ({completions.Count}) must pair up, at least one");
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("every prompt needs at least one token", nameof(prompts));
        if (completions.Any(c => c.Count == 0)) throw new ArgumentException("every completion needs at least one token", nameof(completions));
        using var scope = NewDisposeScope();
        var device = model.Device;
        var promptWidth = prompts.Max(p => p.Count);
        var completionWidth = completions.Max(c => c.Count);
        var (promptIds, promptMask) = TokenBatches.LeftPadded(prompts, padId, device);
        var completionIds = new long[completions.Count, completionWidth];
        var completionKeep = new long[completions.Count, completionWidth];
        for (var b = 0; b < completions.Count; b++)
        {
            for (var t = 0; t < completionWidth; t++)
            {
                var real = t < completions[b].Count;
                completionIds[b, t] = real ? completions[b][t] : padId;
                completionKeep[b, t] = real ? 1 : 0;
            }
        }
        var targets = tensor(completionIds, device: device);
        var targetMask = tensor(completionKeep, device: device);
        var ids = cat([promptIds, targets], 1);
        var mask = cat([promptMask, targetMask], 1);
        var hidden = model.Hidden(ids, mask);
        // The hidden state at column t predicts the token at t + 1: the completion is predicted from the last prompt column on.
        var predicting = hidden.narrow(1, promptWidth - 1, completionWidth);
        var logits = model.LmHead(predicting);
        var logProbs = Gather(logits, targets) * targetMask;
        Tensor? entropy = null;
        if (withEntropy)
        {
            using var noGrad = no_grad();
            var logDistribution = logits.detach().to(ScalarType.Float32).log_softmax(-1);
            entropy = -(logDistribution.exp() * logDistribution).sum(-1) * targetMask;
        }
        return new CompletionScores(logProbs.MoveToOuterDisposeScope(), targetMask.to(ScalarType.Bool).MoveToOuterDisposeScope(), entropy?.MoveToOuterDisposeScope());
    }
}

/// <summary>Per-token log-probs [batch, width], the mask of real completion tokens, and optionally each position's entropy.</summary>
public sealed record CompletionScores(Tensor LogProbs, Tensor Mask, Tensor? Entropy);
