namespace DeepImagine.Evaluation;

/// <summary>The scores the benchmarks define, on labels and probabilities (a predicted label of -1 is "no prediction").</summary>
public static class Metrics
{
    /// <summary>Probabilities below this count as this much before the logarithm (benchmark README).</summary>
    public const double Clip = 1e-12;

    /// <summary>Mean over the true labels present of the share of their items predicted right.</summary>
    public static double BalancedAccuracy(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var recalls = truth.Distinct().Select(label =>
        {
            var items = Enumerable.Range(0, truth.Count).Where(i => truth[i] == label).ToList();
            return items.Count(i => predicted[i] == label) / (double)items.Count;
        }).ToList();
        return recalls.Count == 0 ? double.NaN : recalls.Average();
    }

    /// <summary>Unweighted mean F1 over the labels that occur as truth or prediction (as scikit-learn's macro average).</summary>
    public static double MacroF1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var labels = truth.Concat(predicted.Where(p => p >= 0)).Distinct().ToList();
        if (labels.Count == 0) return double.NaN;
        return labels.Average(label =>
        {
            int tp = 0, fp = 0, fn = 0;
            for (var i = 0; i < truth.Count; i++)
            {
                if (predicted[i] == label && truth[i] == label) tp++;
                else if (predicted[i] == label) fp++;
                else if (truth[i] == label) fn++;
            }
            return tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
        });
    }

    /// <summary>Mean of -ln(probability of the true option), after normalising each row and clipping at <see cref="Clip"/>; a missing row counts as probability 0.</summary>
    public static double CrossEntropy(IReadOnlyList<int> truth, IReadOnlyList<double[]?> probabilities)
    {
        if (truth.Count == 0) return double.NaN;
        var total = 0.0;
        for (var i = 0; i < truth.Count; i++)
        {
            var p = Normalised(probabilities[i]) is { } row ? row[truth[i]] : 0.0;
            total += -Math.Log(Math.Max(p, Clip));
        }
        return total / truth.Count;
    }

    /// <summary>The row scaled to sum to 1, or null when it is missing or has no positive mass.</summary>
    public static double[]? Normalised(double[]? row)
    {
        if (row is null) return null;
        var sum = row.Sum(p => double.IsFinite(p) && p > 0 ? p : 0);
        return sum > 0 ? row.Select(p => double.IsFinite(p) && p > 0 ? p / sum : 0).ToArray() : null;
    }

    /// <summary>The option with the highest probability (the first among equals), or -1 for a missing row.</summary>
    public static int ArgMax(double[]? row)
    {
        if (Normalised(row) is not { } p) return -1;
        var best = 0;
        for (var i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }
}
