using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>One multiple-choice question as tokens: the prompt and each option's continuation (e.g. its answer line).</summary>
public sealed record OptionQuestion(IReadOnlyList<int> Prompt, IReadOnlyList<IReadOnlyList<int>> Options);

/// <summary>
/// Log-likelihoods of each option's continuation after its prompt, for many questions at once. Questions are sorted by
/// length and batched (left-padded), so padding stays small. When the options share every token but their last (answer
/// lines such as <c>ANSWER: 1</c> / <c>ANSWER: 2</c>), one row per question suffices: the shared prefix joins the prompt
/// and the options are read from the next-token distribution at its end (the prefix's own log-probability is the same
/// for every option, so it is left out). Otherwise each option is a row of its own
/// (<see cref="TokenLogProbs.OfCompletions"/>).
/// </summary>
public static class OptionScoring
{
    /// <param name="maxRowsPerBatch">rows run together at most</param>
    /// <param name="maxBatchTokens">rows × padded width at most (one long row always runs), so attention over long prompts stays within memory</param>
    public static double[][] LogLikelihoods(Qwen3ForCausalLM model, IReadOnlyList<OptionQuestion> questions, int padId, int maxRowsPerBatch = 8, int maxBatchTokens = 8192)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRowsPerBatch, 1);
        foreach (var (q, i) in questions.Select((q, i) => (q, i)))
        {
            if (q.Prompt.Count == 0) throw new ArgumentException($"question {i}: the prompt has no tokens", nameof(questions));
            if (q.Options.Count == 0 || q.Options.Any(o => o.Count == 0)) throw new ArgumentException($"question {i}: every option needs at least one token", nameof(questions));
        }
        model.eval();
        using var noGrad = no_grad();
        var results = new double[questions.Count][];
        var rows = new List<(int Question, IReadOnlyList<int> Prompt, IReadOnlyList<int>? Targets, int Option)>();
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            results[i] = new double[q.Options.Count];
            if (SharedPrefix(q.Options) is { } prefix)
            {
                rows.Add((i, [.. q.Prompt, .. prefix], q.Options.Select(o => o[^1]).ToList(), -1));
                continue;
            }
            for (var o = 0; o < q.Options.Count; o++) rows.Add((i, q.Prompt, null, o));
        }
        // Similar lengths together: each batch is padded to its longest row.
        int Width((int Question, IReadOnlyList<int> Prompt, IReadOnlyList<int>? Targets, int Option) r) =>
            r.Prompt.Count + (r.Option >= 0 ? questions[r.Question].Options[r.Option].Count : 1);
        var ordered = rows.OrderBy(Width).ToList();
        for (var start = 0; start < ordered.Count;)
        {
            // Sorted by width, so the batch's last row is its widest.
            var end = start + 1;
            while (end < ordered.Count && end - start < maxRowsPerBatch && (end - start + 1) * Width(ordered[end]) <= maxBatchTokens) end++;
            var batch = ordered.GetRange(start, end - start);
            start = end;
            var nextToken = batch.Where(r => r.Targets is not null).ToList();
            if (nextToken.Count > 0)
            {
                var values = NextTokenLogProbs(model, nextToken.Select(r => r.Prompt).ToList(), nextToken.Select(r => r.Targets!).ToList(), padId);
                for (var b = 0; b < nextToken.Count; b++) results[nextToken[b].Question] = values[b];
            }
            var whole = batch.Where(r => r.Targets is null).ToList();
            if (whole.Count > 0)
            {
                using var scope = NewDisposeScope();
                var (logProbs, _) = TokenLogProbs.OfCompletions(model, whole.Select(r => r.Prompt).ToList(),
                    whole.Select(r => questions[r.Question].Options[r.Option]).ToList(), padId);
                var sums = logProbs.sum(1, type: ScalarType.Float64).cpu().data<double>().ToArray();
                for (var b = 0; b < whole.Count; b++) results[whole[b].Question][whole[b].Option] = sums[b];
            }
        }
        return results;
    }

    /// <summary>Softmax of log-likelihoods: the options' probabilities relative to each other.</summary>
    public static double[] Softmax(IReadOnlyList<double> logLikelihoods)
    {
        var max = logLikelihoods.Max();
        var exp = logLikelihoods.Select(s => Math.Exp(s - max)).ToArray();
        var total = exp.Sum();
        return exp.Select(e => e / total).ToArray();
    }

    /// <summary>log p(token) of each row's candidate tokens at the position after its prompt; one forward pass, the head on the last column only.</summary>
    private static double[][] NextTokenLogProbs(Qwen3ForCausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<IReadOnlyList<int>> candidates, int padId)
    {
        using var scope = NewDisposeScope();
        var (ids, mask) = TokenBatches.LeftPadded(prompts, padId, model.Device);
        var hidden = model.Hidden(ids, mask);
        var last = hidden.narrow(1, hidden.shape[1] - 1, 1).squeeze(1);
        var logProbs = model.LmHead(last).to(ScalarType.Float32).log_softmax(-1).to(ScalarType.Float64).cpu();
        var values = new double[prompts.Count][];
        for (var b = 0; b < prompts.Count; b++)
        {
            var row = logProbs[b];
            values[b] = candidates[b].Select(t => row[t].item<double>()).ToArray();
        }
        return values;
    }

    /// <summary>The options' common tokens when the options differ only in their last token, else null.</summary>
    private static IReadOnlyList<int>? SharedPrefix(IReadOnlyList<IReadOnlyList<int>> options)
    {
        var length = options[0].Count;
        if (options.Any(o => o.Count != length)) return null;
        for (var t = 0; t < length - 1; t++)
        {
            if (options.Any(o => o[t] != options[0][t])) return null;
        }
        // Equal last tokens would make two options indistinguishable: score them whole instead.
        if (options.Select(o => o[^1]).Distinct().Count() != options.Count) return null;
        return options[0].Take(length - 1).ToList();
    }
}
