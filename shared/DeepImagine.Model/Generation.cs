using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

/// <summary>How to generate: greedy when <see cref="Temperature"/> is 0, else sampled (top-k, top-p) from a seeded generator.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 64;
    public double Temperature { get; init; }
    /// <summary>Keep only the k most likely tokens (0: all).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of tokens whose probability reaches p (1: all).</summary>
    public double TopP { get; init; } = 1.0;
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Token ids that end a sequence (the tokenizer's &lt;|im_end|&gt; and &lt;|endoftext|&gt; by default).</summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }
    public long Seed { get; init; }
    /// <summary>false recomputes the whole sequence at every step (for comparison; the outputs are the same).</summary>
    public bool UseCache { get; init; } = true;
}

/// <summary>One generated continuation: its tokens, each token's log-probability under the model, and its text.</summary>
public sealed record GenerationResult(IReadOnlyList<int> Tokens, IReadOnlyList<float> LogProbs, string Text, string FinishReason);

/// <summary>Batched generation with a KV cache, and scoring of given continuations.</summary>
public static class TextGenerator
{
    public static IReadOnlyList<GenerationResult> Generate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<string> prompts, GenerationOptions options) =>
        Generate(model, tokenizer, prompts.Select(p => (IReadOnlyList<int>)tokenizer.Encode(p)).ToList(), options);

    /// <summary>
    /// Continues every prompt (left-padded into one batch). Log-probabilities are of the chosen tokens under the model's
    /// own distribution (before temperature, top-k and top-p), as policy-gradient training needs them.
    /// </summary>
    public static IReadOnlyList<GenerationResult> Generate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("every prompt needs at least one token", nameof(prompts));
        model.eval();
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var device = model.Device;
        var batch = prompts.Count;
        var width = prompts.Max(p => p.Count);
        var ids = new long[batch, width];
        var keep = new long[batch, width];
        for (var b = 0; b < batch; b++)
        {
            var offset = width - prompts[b].Count;
            for (var t = 0; t < width; t++) ids[b, t] = t < offset ? tokenizer.PadId : prompts[b][t - offset];
            for (var t = offset; t < width; t++) keep[b, t] = 1;
        }
        var sequence = tensor(ids, device: device);
        var mask = tensor(keep, device: device);
        var stopIds = (options.StopTokenIds ?? [tokenizer.ImEndId, tokenizer.EndOfTextId]).ToHashSet();
        using var generator = new torch.Generator((ulong)options.Seed, device);
        using var cache = options.UseCache ? model.NewCache(width + options.MaxNewTokens) : null;

        var tokens = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var logProbs = Enumerable.Range(0, batch).Select(_ => new List<float>()).ToArray();
        var finish = new string?[batch];
        var input = sequence;
        for (var step = 0; step < options.MaxNewTokens && finish.Any(f => f is null); step++)
        {
            using var scope = NewDisposeScope();
            var logits = options.UseCache
                ? model.Logits(input, mask, cache)[.., -1, ..]
                : model.Logits(sequence, mask)[.., -1, ..];
            logits = logits.to(ScalarType.Float32);
            var chosen = Choose(logits, options, generator);
            var chosenLogProbs = functional.log_softmax(logits, -1).gather(1, chosen.unsqueeze(1)).squeeze(1);
            var chosenIds = chosen.cpu().data<long>().ToArray();
            var chosenLp = chosenLogProbs.cpu().data<float>().ToArray();
            for (var b = 0; b < batch; b++)
            {
                if (finish[b] is not null) continue;
                var id = (int)chosenIds[b];
                tokens[b].Add(id);
                logProbs[b].Add(chosenLp[b]);
                if (stopIds.Contains(id)) { finish[b] = "stop_token"; continue; }
                if (options.StopStrings.Count > 0)
                {
                    var text = tokenizer.Decode(tokens[b]);
                    if (options.StopStrings.FirstOrDefault(s => text.Contains(s, StringComparison.Ordinal)) is not null) finish[b] = "stop_string";
                }
            }
            // Finished rows keep receiving padding, masked out of everyone's attention but their own.
            var next = tensor(chosenIds.Select((id, b) => finish[b] is null || tokens[b].Count == step + 1 ? id : tokenizer.PadId).ToArray(), device: device).unsqueeze(1);
            var nextKeep = tensor(Enumerable.Range(0, batch).Select(b => finish[b] is null || tokens[b].Count == step + 1 ? 1L : 0L).ToArray(), device: device).unsqueeze(1);
            sequence = cat([sequence, next], 1).MoveToOuterDisposeScope();
            mask = cat([mask, nextKeep], 1).MoveToOuterDisposeScope();
            input = next.MoveToOuterDisposeScope();
        }

        var results = new List<GenerationResult>(batch);
        for (var b = 0; b < batch; b++)
        {
            var kept = tokens[b].Where(id => !stopIds.Contains(id)).ToList();
            var text = tokenizer.Decode(kept);
            var reason = finish[b] ?? "length";
            if (reason == "stop_string")
            {
                var at = options.StopStrings.Select(s => (s, i: text.IndexOf(s, StringComparison.Ordinal))).Where(x => x.i >= 0).Min(x => x.i);
                text = text[..at];
            }
            results.Add(new GenerationResult(tokens[b], logProbs[b], text, reason));
        }
        return results;
    }

    private static Tensor Choose(Tensor logits, GenerationOptions options, torch.Generator generator)
    {
        if (options.Temperature <= 0) return logits.argmax(-1);
        var scaled = logits / options.Temperature;
        if (options.TopK > 0 && options.TopK < scaled.shape[^1])
        {
            var kth = scaled.topk(options.TopK, -1).values.select(-1, options.TopK - 1).unsqueeze(-1);
            scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
        }
        if (options.TopP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: true);
            var cumulative = functional.softmax(sorted, -1).cumsum(-1);
            // Drop a token once the tokens before it already reach p; the most likely token always stays.
            var drop = (cumulative - functional.softmax(sorted, -1)).ge(options.TopP);
            var dropped = zeros_like(drop, dtype: ScalarType.Int64).scatter(-1, order, drop.to(ScalarType.Int64)).to(ScalarType.Bool);
            scaled = scaled.masked_fill(dropped, double.NegativeInfinity);
        }
        return multinomial(functional.softmax(scaled, -1), 1, generator: generator).squeeze(1);
    }

    /// <summary>
    /// Log-likelihood of each continuation after the prompt (sum over its tokens), and the probabilities of the options
    /// relative to each other (softmax of the sums): calibrated multiple-choice answers.
    /// </summary>
    public static (double[] LogLikelihoods, double[] Probabilities) ScoreOptions(Qwen3ForCausalLM model, IReadOnlyList<int> prompt, IReadOnlyList<IReadOnlyList<int>> continuations, int padId)
    {
        if (prompt.Count == 0 || continuations.Count == 0 || continuations.Any(c => c.Count == 0))
            throw new ArgumentException("a prompt and non-empty continuations are needed");
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var width = prompt.Count + continuations.Max(c => c.Count);
        var ids = new long[continuations.Count, width];
        var keep = new long[continuations.Count, width];
        for (var i = 0; i < continuations.Count; i++)
        {
            var row = prompt.Concat(continuations[i]).ToList();
            for (var t = 0; t < width; t++)
            {
                ids[i, t] = t < row.Count ? row[t] : padId;
                keep[i, t] = t < row.Count ? 1 : 0;
            }
        }
        var logits = model.Logits(tensor(ids, device: model.Device), tensor(keep, device: model.Device)).to(ScalarType.Float32);
        var logp = functional.log_softmax(logits, -1).cpu().contiguous();
        var logpValues = logp.data<float>();
        var vocab = logp.shape[2];
        var sums = new double[continuations.Count];
        for (var i = 0; i < continuations.Count; i++)
        {
            for (var j = 0; j < continuations[i].Count; j++)
            {
                var position = prompt.Count + j - 1; // the logits at t predict token t + 1
                sums[i] += logpValues[(i * width + position) * vocab + continuations[i][j]];
            }
        }
        var max = sums.Max();
        var exp = sums.Select(s => Math.Exp(s - max)).ToArray();
        var total = exp.Sum();
        return (sums, exp.Select(e => e / total).ToArray());
    }
}
