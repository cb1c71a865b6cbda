using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>Padding token rows into tensors, and the seeded order in which training visits rows.</summary>
public static class TokenBatches
{
    /// <summary>The label of a position nothing is learned from (cross-entropy's ignore index).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Rows padded on the right: ids, attention mask (1 = real) and labels (<see cref="IgnoreIndex"/> at padding).</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Labels) RightPadded(IReadOnlyList<(long[] Ids, long[] Labels)> rows, long padId, Device device)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        var width = rows.Max(r => r.Ids.Length);
        var ids = new long[rows.Count, width];
        var labels = new long[rows.Count, width];
        var keep = new long[rows.Count, width];
        for (var b = 0; b < rows.Count; b++)
        {
            for (var t = 0; t < width; t++)
            {
                var real = t < rows[b].Ids.Length;
                ids[b, t] = real ? rows[b].Ids[t] : padId;
                labels[b, t] = real ? rows[b].Labels[t] : IgnoreIndex;
                keep[b, t] = real ? 1 : 0;
            }
        }
        return (tensor(ids, device: device), tensor(keep, device: device), tensor(labels, device: device));
    }

    /// <summary>How many tokens of right-padded rows a causal LM loss learns (labels after the first position).</summary>
    public static long LearnedTokens(IEnumerable<(long[] Ids, long[] Labels)> rows) =>
        rows.Sum(r => (long)r.Labels.Skip(1).Count(l => l != IgnoreIndex));

    /// <summary>Prompts padded on the left (so every row's next token is in the last column): ids and attention mask.</summary>
    public static (Tensor Ids, Tensor Mask) LeftPadded(IReadOnlyList<IReadOnlyList<int>> rows, long padId, Device device)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        var width = rows.Max(p => p.Count);
        var ids = new long[rows.Count, width];
        var keep = new long[rows.Count, width];
        for (var b = 0; b < rows.Count; b++)
        {
            var offset = width - rows[b].Count;
            for (var t = 0; t < width; t++)
            {
                ids[b, t] = t < offset ? padId : rows[b][t - offset];
                keep[b, t] = t < offset ? 0 : 1;
            }
        }
        return (tensor(ids, device: device), tensor(keep, device: device));
    }

    /// <summary>
    /// The row indices of batch number <paramref name="batchIndex"/> when <paramref name="rowCount"/> rows are visited in
    /// batches of <paramref name="batchSize"/>, reshuffled from <paramref name="seed"/> on every pass: a resumed run sees
    /// the same batches.
    /// </summary>
    public static IReadOnlyList<int> Shuffled(int rowCount, int batchSize, long seed, long batchIndex)
    {
        if (rowCount <= 0 || batchSize <= 0) throw new ArgumentException($"rowCount ({rowCount}) and batchSize ({batchSize}) must be positive");
        var perPass = Math.Max(1, (rowCount + batchSize - 1) / batchSize);
        var pass = batchIndex / perPass;
        var order = Enumerable.Range(0, rowCount).ToArray();
        new Random(unchecked((int)(seed * 7919 + pass))).Shuffle(order);
        var start = (int)(batchIndex % perPass) * batchSize;
        return order.Skip(start).Take(batchSize).ToList();
    }
}
