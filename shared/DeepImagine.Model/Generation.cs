using System.Text.RegularExpressions;
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
    /// <summary>
    /// Ends a sequence as soon as its whole text so far matches (the match stays in the text). For answers whose rest is
    /// read another way: a step stops where its RESULT line begins, whose fields are then chosen by likelihood.
    /// </summary>
    public Regex? StopPattern { get; init; }
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
    /// own distribution (before temperature, top-k and top-p), as policy-gradient training needs them. Token ids and the
    /// attention mask live in buffers sized for the whole run and each step's tensors are freed at its end, so memory
    /// does not grow with the number of steps beyond the KV cache itself.
    /// </summary>
    public static IReadOnlyList<GenerationResult> Generate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        if (prompts.Count == 0) return [];
        return Run(model, tokenizer, prompts, options, keepCache: false).Results;
    }

    /// <summary>
    /// As <see cref="Generate(Qwen3ForCausalLM, ChatTokenizer, IReadOnlyList{IReadOnlyList{int}}, GenerationOptions)"/>,
    /// keeping the KV cache: the session then scores continuations of each row's text without re-encoding what the
    /// cache already holds (prompt and generated tokens). Always uses the cache.
    /// </summary>
    public static GenerationSession Start(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options) =>
        Start(model, tokenizer, prompts, options, prefix: null);

    /// <summary>
    /// As <see cref="Start(Qwen3ForCausalLM, ChatTokenizer, IReadOnlyList{IReadOnlyList{int}}, GenerationOptions)"/>,
    /// every prompt beginning with <paramref name="prefix"/>'s tokens (computed for this model) and at least one more:
    /// the rows start from the prefix's keys and values and only their own tokens are encoded. The cache then holds the
    /// prefix once per row, then each row's own tokens left-padded, so positions (which count real tokens) and results
    /// are those of the whole prompts.
    /// </summary>
    public static GenerationSession Start(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, PromptPrefix? prefix)
    {
        if (prompts.Count == 0) throw new ArgumentException("at least one prompt is needed", nameof(prompts));
        return Run(model, tokenizer, prompts, options with { UseCache = true }, keepCache: true, prefix);
    }

    /// <summary>Whether every prompt begins with <paramref name="prefix"/> and has at least one token after it.</summary>
    public static bool Extends(IReadOnlyList<int> prefix, IEnumerable<IReadOnlyList<int>> prompts) =>
        prompts.All(p => p.Count > prefix.Count && Enumerable.Range(0, prefix.Count).All(i => p[i] == prefix[i]));

    private static GenerationSession Run(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, bool keepCache, PromptPrefix? prefix = null)
    {
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("every prompt needs at least one token", nameof(prompts));
        if (options.MaxNewTokens < 0) throw new ArgumentException($"MaxNewTokens must not be negative (got {options.MaxNewTokens})", nameof(options));
        if (prefix is not null && !ReferenceEquals(prefix.Model, model))
            throw new ArgumentException("the prefix was computed with another model; its keys and values do not fit this one", nameof(prefix));
        if (prefix is not null && !Extends(prefix.Tokens, prompts))
            throw new ArgumentException($"every prompt must begin with the prefix's {prefix.Tokens.Count} tokens and go on after them", nameof(prefix));
        model.eval();
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var device = model.Device;
        var batch = prompts.Count;
        // With a prefix, its columns come first (the same in every row) and the rows' own tokens are left-padded after it.
        var shared = prefix?.Tokens.Count ?? 0;
        var own = prefix is null ? prompts : prompts.Select(p => (IReadOnlyList<int>)p.Skip(shared).ToList()).ToList();
        var ownWidth = own.Max(p => p.Count);
        var width = shared + ownWidth;
        var (promptIds, promptMask) = TokenBatches.LeftPadded(own, tokenizer.PadId, device);
        var capacity = width + options.MaxNewTokens;
        var sequence = full(batch, capacity, tokenizer.PadId, dtype: ScalarType.Int64, device: device);
        var mask = zeros(batch, capacity, dtype: ScalarType.Int64, device: device);
        if (prefix is not null)
        {
            sequence.narrow(1, 0, shared).copy_(tensor(prefix.Tokens.Select(t => (long)t).ToArray(), device: device).unsqueeze(0).expand(batch, -1));
            mask.narrow(1, 0, shared).fill_(1);
        }
        sequence.narrow(1, shared, ownWidth).copy_(promptIds);
        mask.narrow(1, shared, ownWidth).copy_(promptMask);
        var padded = own.Any(p => p.Count != ownWidth);
        var stopping = new StoppingCriteria(tokenizer, options.StopTokenIds ?? [tokenizer.ImEndId, tokenizer.EndOfTextId], options.StopStrings, options.StopPattern);
        using var generator = new torch.Generator((ulong)options.Seed, device);
        var cache = !options.UseCache ? null : prefix is null ? model.NewCache(capacity) : KvCache.StartingWith(prefix, batch, capacity);
        try
        {
            // Rows of similar length are encoded together, each group padded to its own longest row only.
            var prefillGroups = cache is null ? [] : PrefillGroups(own.Select(p => p.Count).ToList(), PrefillGroupCost);
            var tokens = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
            var logProbs = Enumerable.Range(0, batch).Select(_ => new List<float>()).ToArray();
            var finish = new string?[batch];
            for (var step = 0; step < options.MaxNewTokens && finish.Any(f => f is null); step++)
            {
                using var scope = NewDisposeScope();
                var length = width + step;
                // The cache path feeds only the newest column; without a cache the whole sequence so far is recomputed.
                var input = options.UseCache ? (step == 0 ? sequence.narrow(1, shared, ownWidth) : sequence.narrow(1, length - 1, 1)) : sequence.narrow(1, 0, length);
                var logits = step == 0 && cache is not null && prefillGroups.Count > 1
                    ? PrefillInGroups(model, own, prefillGroups, prefix, cache, ownWidth, tokenizer.PadId)
                    : model.Forward(new CausalLMInput(input, mask.narrow(1, 0, length), cache) { HasPadding = padded, LastPositionOnly = true }).Logits[.., -1, ..];
                var chosen = TokenSampler.Choose(logits, options, generator);
                var chosenLogProbs = TokenLogProbs.Gather(logits, chosen);
                // One transfer to the host per step: the stopping rules need the ids (ids are exact in float64).
                var host = stack([chosen.to(ScalarType.Float64), chosenLogProbs.to(ScalarType.Float64)]).cpu().data<double>().ToArray();
                var nextIds = new long[batch];
                var nextKeep = new long[batch];
                for (var b = 0; b < batch; b++)
                {
                    if (finish[b] is not null)
                    {
                        // Finished rows keep receiving padding, masked out of everyone's attention but their own.
                        nextIds[b] = tokenizer.PadId;
                        continue;
                    }
                    var id = (int)host[b];
                    tokens[b].Add(id);
                    logProbs[b].Add((float)host[batch + b]);
                    nextIds[b] = id;
                    nextKeep[b] = 1;
                    finish[b] = stopping.Check(tokens[b]);
                }
                if (nextKeep.Contains(0)) padded = true;
                sequence.narrow(1, length, 1).copy_(tensor(nextIds, device: device).unsqueeze(1));
                mask.narrow(1, length, 1).copy_(tensor(nextKeep, device: device).unsqueeze(1));
            }

            var results = Enumerable.Range(0, batch)
                .Select(b => new GenerationResult(tokens[b], logProbs[b], stopping.FinalText(tokens[b], finish[b] ?? StoppingCriteria.Length), finish[b] ?? StoppingCriteria.Length))
                .ToList();
            if (!keepCache || cache is null) return new GenerationSession(model, tokenizer, results, null, [], []);
            // What the cache holds: the columns fed so far (the last chosen token of each row is not fed yet).
            var cached = (int)cache.Length;
            var hostIds = sequence.narrow(1, 0, cached).cpu().data<long>().ToArray();
            var hostMask = mask.narrow(1, 0, cached).cpu().data<long>().ToArray();
            var session = new GenerationSession(model, tokenizer, results, cache, hostIds, hostMask);
            cache = null; // the session owns it now
            return session;
        }
        finally
        {
            cache?.Dispose();
        }
    }

    /// <summary>
    /// The fixed cost of one more prefill pass, in padded token positions: a pass's own work (a decoding step alone takes
    /// about 4 ms) at about 26 µs per position (the default model on the 2-core machine, measured in the predictor).
    /// </summary>
    internal const int PrefillGroupCost = 256;

    /// <summary>
    /// Splits rows into groups encoded by separate passes so that padding plus a fixed cost per pass is least: rows
    /// ordered by length, each group padded to its longest row (dynamic programming over the cut points).
    /// </summary>
    /// <returns>each group's row indices, shortest rows first</returns>
    internal static IReadOnlyList<int[]> PrefillGroups(IReadOnlyList<int> lengths, int costPerPass)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        var best = new long[order.Length + 1];
        var cut = new int[order.Length + 1];
        for (var end = 1; end <= order.Length; end++)
        {
            best[end] = long.MaxValue;
            var width = lengths[order[end - 1]];
            for (var start = 0; start < end; start++)
            {
                var cost = best[start] + costPerPass + (long)(end - start) * width;
                if (cost < best[end]) (best[end], cut[end]) = (cost, start);
            }
        }
        var groups = new List<int[]>();
        for (var end = order.Length; end > 0; end = cut[end]) groups.Add(order[cut[end]..end]);
        groups.Reverse();
        return groups;
    }

    /// <summary>
    /// The prefill of every row, one pass per group (each on a cache of its own, from the prefix when there is one),
    /// placed into <paramref name="cache"/> as one left-padded pass would leave it; the padding columns stay zero and
    /// masked, so what follows reads the same keys and values. Returns the last position's logits [batch, vocab].
    /// </summary>
    private static Tensor PrefillInGroups(Qwen3ForCausalLM model, IReadOnlyList<IReadOnlyList<int>> own, IReadOnlyList<int[]> groups, PromptPrefix? prefix, KvCache cache, int ownWidth, int padId)
    {
        var device = model.Device;
        var shared = prefix?.Tokens.Count ?? 0;
        Tensor? logits = null;
        foreach (var group in groups)
        {
            var rows = group.Select(i => own[i]).ToList();
            var (ids, keep) = TokenBatches.LeftPadded(rows, padId, device);
            var width = (int)ids.shape[1];
            var groupMask = prefix is null ? keep : cat([ones(group.Length, shared, dtype: ScalarType.Int64, device: device), keep], 1);
            using var groupCache = prefix is null ? model.NewCache(width) : KvCache.StartingWith(prefix, group.Length, shared + width);
            var groupLogits = model.Forward(new CausalLMInput(ids, groupMask, groupCache) { HasPadding = rows.Any(r => r.Count != width), LastPositionOnly = true }).Logits[.., -1, ..];
            var index = tensor(group.Select(i => (long)i).ToArray(), device: device);
            logits ??= zeros(own.Count, groupLogits.shape[^1], dtype: groupLogits.dtype, device: device);
            logits.index_copy_(0, index, groupLogits);
            // Left padding: a group narrower than the batch starts further right.
            cache.Place(groupCache, index, own.Count, from: shared, count: width, at: shared + ownWidth - width, clearFrom: shared, length: shared + ownWidth);
        }
        return logits!;
    }

    /// <summary>
    /// Log-likelihood of each text <c>text + option</c> beyond the part all of them share, tokenized whole: the tokenizer
    /// may merge the end of <paramref name="text"/> with an option (<c>=higher</c> is one pre-token), so options are
    /// compared as the model would have written them, not as separately tokenized pieces.
    /// </summary>
    public static double[] ScoreTextOptions(Qwen3ForCausalLM model, ChatTokenizer tokenizer, string text, IReadOnlyList<string> options)
    {
        var (prompt, continuations) = SplitTextOptions(tokenizer, text, options);
        if (continuations.All(c => c.Count == 1)) return NextTokenLogProbs(model, prompt, continuations.Select(c => c[0]).ToList());
        return ScoreOptions(model, prompt, continuations, tokenizer.PadId).LogLikelihoods;
    }

    /// <summary>The tokens every <c>text + option</c> shares (tokenized whole), and each option's tokens after them.</summary>
    internal static (IReadOnlyList<int> Shared, IReadOnlyList<IReadOnlyList<int>> Continuations) SplitTextOptions(ChatTokenizer tokenizer, string text, IReadOnlyList<string> options)
    {
        if (options.Count == 0 || options.Any(string.IsNullOrEmpty)) throw new ArgumentException("non-empty options are needed", nameof(options));
        if (options.Distinct(StringComparer.Ordinal).Count() != options.Count) throw new ArgumentException("options must differ", nameof(options));
        var encoded = options.Select(o => tokenizer.Encode(text + o)).ToList();
        var shared = 0;
        var shortest = encoded.Min(e => e.Count);
        while (shared < shortest - 1 && encoded.All(e => e[shared] == encoded[0][shared])) shared++;
        if (shared == 0) throw new ArgumentException("the text is empty: options need something to follow", nameof(text));
        return (encoded[0].Take(shared).ToList(), encoded.Select(e => (IReadOnlyList<int>)e.Skip(shared).ToList()).ToList());
    }

    /// <summary>log p(token | prompt) for each candidate next token: one forward pass of the prompt alone.</summary>
    private static double[] NextTokenLogProbs(Qwen3ForCausalLM model, IReadOnlyList<int> prompt, IReadOnlyList<int> candidates)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = tensor(prompt.Select(i => (long)i).ToArray(), device: model.Device).unsqueeze(0);
        var last = model.LmHead(model.Hidden(ids).narrow(1, prompt.Count - 1, 1)).squeeze(0).squeeze(0);
        var targets = tensor(candidates.Select(i => (long)i).ToArray(), device: model.Device);
        return TokenLogProbs.Gather(last.unsqueeze(0).expand(candidates.Count, -1), targets).to(ScalarType.Float64).cpu().data<double>().ToArray();
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
        var (logProbs, _) = TokenLogProbs.OfCompletions(model, continuations.Select(_ => prompt).ToList(), continuations, padId);
        var sums = logProbs.sum(1, type: ScalarType.Float64).cpu().data<double>().ToArray();
        var max = sums.Max();
        var exp = sums.Select(s => Math.Exp(s - max)).ToArray();
        var total = exp.Sum();
        return (sums, exp.Select(e => e / total).ToArray());
    }
}
