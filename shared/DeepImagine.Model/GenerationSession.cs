using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>
/// A generation batch whose KV cache is kept (<see cref="TextGenerator.Start"/>): each row's text can then be continued
/// and scored on the cache, feeding only the tokens the cache does not already hold. Where a row's new text departs
/// from what the cache holds (the tokenizer splits a trimmed trace differently, another option was read before), the
/// departing cached columns are masked out of that row's attention and positions, so the result is that of encoding
/// the row's text afresh. Not thread-safe: one caller at a time.
/// </summary>
public sealed class GenerationSession : IDisposable
{
    private readonly Qwen3ForCausalLM model;
    private readonly ChatTokenizer tokenizer;
    private readonly KvCache? cache;
    // Per row: the token and cache column of every position the row attends to, in order; and the row's mask over all columns.
    private readonly List<(int Token, int Column)>[] visible;
    private readonly List<long>[] keep;

    internal GenerationSession(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<GenerationResult> results, KvCache? cache, long[] ids, long[] mask)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        this.cache = cache;
        Results = results;
        var columns = results.Count == 0 ? 0 : ids.Length / results.Count;
        visible = new List<(int, int)>[results.Count];
        keep = new List<long>[results.Count];
        for (var b = 0; b < results.Count; b++)
        {
            visible[b] = [];
            keep[b] = new List<long>(columns + 64);
            for (var c = 0; c < columns; c++)
            {
                keep[b].Add(mask[b * columns + c]);
                if (mask[b * columns + c] != 0) visible[b].Add(((int)ids[b * columns + c], c));
            }
        }
    }

    public IReadOnlyList<GenerationResult> Results { get; }

    /// <summary>Tokens fed after generation (what scoring on the cache cost), for measurements.</summary>
    public long FedTokens { get; private set; }

    /// <summary>
    /// For every row, the log-likelihood of each option after that row's text, as <see cref="TextGenerator.ScoreTextOptions"/>
    /// computes it from scratch (each <c>text + option</c> tokenized whole), but on the cache: one batched pass when
    /// every option is one token after the shared part, else one more short pass per option.
    /// </summary>
    public double[][] ScoreTextOptions(IReadOnlyList<string> texts, IReadOnlyList<string> options)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (cache is null) throw new InvalidOperationException("this session keeps no cache");
        if (texts.Count != Results.Count) throw new ArgumentException($"{texts.Count} texts for {Results.Count} rows", nameof(texts));
        var split = texts.Select(t => TextGenerator.SplitTextOptions(tokenizer, t, options)).ToList();
        var scores = texts.Select(_ => new double[options.Count]).ToArray();
        var singleToken = split.All(s => s.Continuations.All(c => c.Count == 1));
        if (singleToken)
        {
            var (_, last) = Read(split.Select(s => s.Shared).ToList(), split.Select(s => s.Shared.Count).ToList());
            for (var b = 0; b < texts.Count; b++)
                for (var o = 0; o < options.Count; o++) scores[b][o] = last[b][split[b].Continuations[o][0]];
            return scores;
        }
        return ReadSideBySide(split);
    }

    /// <summary>
    /// Every option of every row in one pass: a row feeds what its cache lacks of the shared part (at least its last
    /// token, whose logits give each option's first token), then each option's tokens side by side, each option at the
    /// positions it has after the text and seeing the text and its own earlier tokens only, so the sums are those of
    /// reading the options one after another. The shared part stays in the cache; the options' columns are masked out.
    /// </summary>
    private double[][] ReadSideBySide(IReadOnlyList<(IReadOnlyList<int> Shared, IReadOnlyList<IReadOnlyList<int>> Continuations)> split)
    {
        var batch = split.Count;
        var heads = new List<int>[batch];
        var basePositions = new int[batch];
        for (var b = 0; b < batch; b++)
        {
            var shared = split[b].Shared;
            var common = 0;
            while (common < shared.Count - 1 && common < visible[b].Count && visible[b][common].Token == shared[common]) common++;
            foreach (var (_, column) in visible[b].Skip(common)) keep[b][column] = 0;
            visible[b].RemoveRange(common, visible[b].Count - common);
            heads[b] = shared.Skip(common).ToList();
            basePositions[b] = common;
        }
        var width = Enumerable.Range(0, batch).Max(b => heads[b].Count + split[b].Continuations.Sum(c => c.Count));
        var past = keep[0].Count;
        var total = past + width;
        var ids = new long[batch * width];
        var positions = new long[batch * width];
        var allowed = new bool[batch * width * total];
        // Per row and option: the column of each option token, to read its log-probability from the column before.
        var optionColumns = new List<int>[batch][];
        for (var b = 0; b < batch; b++)
        {
            var head = heads[b];
            var columnOf = new List<int>();
            for (var i = 0; i < width; i++) ids[b * width + i] = tokenizer.PadId;
            void Allow(int query, int key) => allowed[((long)b * width + query) * total + key] = true;
            for (var i = 0; i < head.Count; i++)
            {
                ids[b * width + i] = head[i];
                positions[b * width + i] = basePositions[b] + i;
                for (var c = 0; c < past; c++) if (keep[b][c] != 0) Allow(i, c);
                for (var j = 0; j <= i; j++) Allow(i, past + j);
            }
            var at = head.Count;
            optionColumns[b] = new List<int>[split[b].Continuations.Count];
            for (var o = 0; o < split[b].Continuations.Count; o++)
            {
                var option = split[b].Continuations[o];
                optionColumns[b][o] = [];
                for (var j = 0; j < option.Count; j++)
                {
                    var query = at + j;
                    ids[b * width + query] = option[j];
                    positions[b * width + query] = basePositions[b] + head.Count + j;
                    for (var c = 0; c < past; c++) if (keep[b][c] != 0) Allow(query, c);
                    for (var h = 0; h < head.Count; h++) Allow(query, past + h);
                    for (var k = 0; k <= j; k++) Allow(query, past + at + k);
                    optionColumns[b][o].Add(query);
                }
                at += option.Count;
            }
            // Padding queries see themselves only (a row with nothing to attend to would give NaN).
            for (var q = at; q < width; q++) Allow(q, past + q);
        }
        var scores = new double[batch][];
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            model.eval();
            var device = model.Device;
            var logits = model.Logits(tensor(ids, device: device).view(batch, width), tensor(positions, device: device).view(batch, width),
                tensor(allowed, device: device).view(batch, 1, width, total), cache!);
            // Option token j of a row is predicted at the column before it: the head's last for j = 0.
            var from = new List<long>();
            var target = new List<long>();
            for (var b = 0; b < batch; b++)
                for (var o = 0; o < optionColumns[b].Length; o++)
                    for (var j = 0; j < optionColumns[b][o].Count; j++)
                    {
                        from.Add((long)b * width + (j == 0 ? heads[b].Count - 1 : optionColumns[b][o][j - 1]));
                        target.Add(split[b].Continuations[o][j]);
                    }
            var logProbs = logits.view(batch * width, -1).index_select(0, tensor(from.ToArray(), device: device)).log_softmax(-1)
                .gather(1, tensor(target.ToArray(), device: device).unsqueeze(1)).squeeze(1).to(ScalarType.Float64).cpu().data<double>().ToArray();
            var n = 0;
            for (var b = 0; b < batch; b++)
            {
                scores[b] = new double[optionColumns[b].Length];
                for (var o = 0; o < optionColumns[b].Length; o++)
                    for (var j = 0; j < optionColumns[b][o].Count; j++) scores[b][o] += logProbs[n++];
            }
        }
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < width; i++)
            {
                var isHead = i < heads[b].Count;
                keep[b].Add(isHead ? 1 : 0);
                if (isHead) visible[b].Add((heads[b][i], past + i));
            }
        }
        FedTokens += Enumerable.Range(0, batch).Sum(b => heads[b].Count + split[b].Continuations.Sum(c => c.Count));
        return scores;
    }

    /// <summary>
    /// Brings every row to read <paramref name="targets"/>[b] (feeding what the cache lacks, in one batch) and returns, per
    /// row, the summed log-probability of its tokens from <paramref name="scoreFrom"/>[b] on, and the log-probabilities
    /// of every vocabulary entry as the token after its last one.
    /// </summary>
    private (double[] Sums, float[][] Next) Read(IReadOnlyList<IReadOnlyList<int>> targets, IReadOnlyList<int> scoreFrom)
    {
        var batch = targets.Count;
        var suffixes = new List<int>[batch];
        var firstScored = new int[batch]; // index into the suffix of the first scored token
        for (var b = 0; b < batch; b++)
        {
            var target = targets[b];
            // At least one token is fed (its logits are needed), and the token before the first scored one too.
            var limit = Math.Min(target.Count - 1, scoreFrom[b] - 1);
            var common = 0;
            while (common < limit && common < visible[b].Count && visible[b][common].Token == target[common]) common++;
            foreach (var (_, column) in visible[b].Skip(common)) keep[b][column] = 0;
            visible[b].RemoveRange(common, visible[b].Count - common);
            suffixes[b] = target.Skip(common).ToList();
            firstScored[b] = scoreFrom[b] - common;
        }
        var width = suffixes.Max(s => s.Count);
        var past = keep[0].Count;
        var ids = new long[batch * width];
        var newKeep = new long[batch * width];
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < width; i++)
            {
                ids[b * width + i] = i < suffixes[b].Count ? suffixes[b][i] : tokenizer.PadId;
                newKeep[b * width + i] = i < suffixes[b].Count ? 1 : 0;
            }
        var sums = new double[batch];
        float[][] next;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            model.eval();
            var device = model.Device;
            var input = tensor(ids, device: device).view(batch, width);
            var mask = cat([tensor(keep.SelectMany(k => k).ToArray(), device: device).view(batch, past), tensor(newKeep, device: device).view(batch, width)], 1);
            var hidden = model.Forward(new CausalLMInput(input, mask, cache) { HasPadding = true }).Logits;
            var logProbs = hidden.log_softmax(-1);
            // Position i predicts suffix token i + 1: gather every next token, then keep the scored ones per row.
            var nextIds = tensor(Enumerable.Range(0, batch).SelectMany(b => Enumerable.Range(0, width).Select(i => (long)(i + 1 < suffixes[b].Count ? suffixes[b][i + 1] : 0))).ToArray(), device: device).view(batch, width, 1);
            var gathered = logProbs.gather(2, nextIds).squeeze(2).to(ScalarType.Float64).cpu().data<double>().ToArray();
            var lastIndex = tensor(suffixes.Select(s => (long)(s.Count - 1)).ToArray(), device: device).view(batch, 1, 1).expand(batch, 1, logProbs.shape[2]);
            var last = logProbs.gather(1, lastIndex).squeeze(1).cpu().data<float>().ToArray();
            var vocab = (int)logProbs.shape[2];
            next = Enumerable.Range(0, batch).Select(b => last.AsSpan(b * vocab, vocab).ToArray()).ToArray();
            for (var b = 0; b < batch; b++)
                for (var i = Math.Max(0, firstScored[b] - 1); i + 1 < suffixes[b].Count; i++) sums[b] += gathered[b * width + i];
        }
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < width; i++)
            {
                keep[b].Add(newKeep[b * width + i]);
                if (i < suffixes[b].Count) visible[b].Add((suffixes[b][i], past + i));
            }
        }
        FedTokens += suffixes.Sum(s => s.Count);
        return (sums, next);
    }

    private bool disposed;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        cache?.Dispose();
    }
}
