namespace DeepImagine.Evaluation;

/// <summary>
/// K folds in which every group (NCT id, article) lies in exactly one fold: groups are shuffled with a fixed seed and
/// dealt, largest first, to the fold with the fewest questions so far, so folds stay similar in size.
/// </summary>
public static class GroupedFolds
{
    public const int DefaultSeed = 20250201;

    /// <summary>The fold index of each group.</summary>
    public static IReadOnlyDictionary<string, int> Assign(IEnumerable<string> groupOfEachItem, int k, int seed = DefaultSeed)
    {
        var sizes = groupOfEachItem.GroupBy(g => g, StringComparer.Ordinal).Select(g => (Group: g.Key, Count: g.Count())).ToList();
        if (k < 2) throw new ArgumentException($"--cv must be at least 2 (got {k})");
        if (sizes.Count < k) throw new ArgumentException($"--cv {k}: only {sizes.Count} distinct groups to split into {k} folds");
        var random = new Random(seed);
        var shuffled = sizes.OrderBy(s => s.Group, StringComparer.Ordinal).OrderBy(_ => random.Next()).ToList();
        var load = new int[k];
        var fold = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (group, count) in shuffled.OrderByDescending(s => s.Count))
        {
            var target = Array.IndexOf(load, load.Min());
            fold[group] = target;
            load[target] += count;
        }
        return fold;
    }
}
