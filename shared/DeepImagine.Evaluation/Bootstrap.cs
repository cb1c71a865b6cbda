namespace DeepImagine.Evaluation;

/// <summary>Percentile bootstrap over groups (trials, articles): resample groups with replacement, score, take 2.5% and 97.5%.</summary>
public static class Bootstrap
{
    public const int Replicates = 1000;

    /// <summary>95% interval of each overall metric and each (class, metric), keyed "metric" and "class/metric".</summary>
    public static IReadOnlyDictionary<string, (double Low, double High)> Intervals(IReadOnlyList<ScoredItem> items, ITaskScorer scorer, int seed = GroupedFolds.DefaultSeed, int replicates = Replicates)
    {
        var groups = items.GroupBy(i => i.Group, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        var samples = new Dictionary<string, List<double>>();
        var random = new Random(seed);
        for (var r = 0; r < replicates; r++)
        {
            var resample = new List<ScoredItem>(items.Count);
            for (var g = 0; g < groups.Count; g++) resample.AddRange(groups[random.Next(groups.Count)]);
            var score = scorer.Score(resample);
            foreach (var (metric, value) in score.Overall) Add(samples, metric, value);
            foreach (var (cls, metrics) in score.ByClass)
                foreach (var (metric, value) in metrics) Add(samples, $"{cls}/{metric}", value);
        }
        return samples.ToDictionary(s => s.Key, s => (Percentile(s.Value, 0.025), Percentile(s.Value, 0.975)));
    }

    private static void Add(Dictionary<string, List<double>> samples, string key, double value)
    {
        if (double.IsNaN(value)) return;
        if (!samples.TryGetValue(key, out var list)) samples[key] = list = [];
        list.Add(value);
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
