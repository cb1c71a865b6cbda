using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;

namespace DeepImagine.GpuLearner.Training;

/// <summary>
/// What the constrained reading's direction scores know about the observed direction, whatever answer they choose: an
/// operator that always answers the majority may still rank the examples (then re-weighing its options, "calibrate
/// before use", would beat the majority), or may score every prompt alike (then no re-weighing can).
/// <see cref="HigherVersusLowerAuc"/>: among examples observed higher or lower, the chance that a higher one has the
/// larger log p(higher) − log p(lower) (0.5: no signal; null without both). <see cref="ChangedVersusSameAuc"/>: the same
/// for log p(higher or lower) − log p(same), changed against same. <see cref="ChangeScoreSpread"/>: the standard
/// deviation of that change score over the examples, in nats (near 0: the operator ignores the prompt).
/// </summary>
public sealed record DirectionSignal(int Examples, double? HigherVersusLowerAuc, double? ChangedVersusSameAuc, double ChangeScoreSpread)
{
    // Softmax probabilities can underflow to 0; a floor keeps their logs finite and their order.
    private const double SmallestProbability = 1e-300;

    public static DirectionSignal Of(IReadOnlyList<StepExampleRecord> examples, IReadOnlyList<IReadOnlyDictionary<ResultDirection, double>> probabilities)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (examples.Count == 0) throw new ArgumentException("no examples to measure the direction signal on", nameof(examples));
        if (probabilities.Count != examples.Count)
            throw new ArgumentException($"{probabilities.Count} direction distributions for {examples.Count} examples", nameof(probabilities));
        var observed = examples.Select(e => ResultScoring.Directions.FirstOrDefault(d => StepFormat.Word(d) == e.ExpectedDirection.ToLowerInvariant()) is var d && d != ResultDirection.Unknown
            ? d
            : throw new ArgumentException($"example {e.ExampleId}: expected direction '{e.ExpectedDirection}' is not higher, lower or same", nameof(examples))).ToList();
        double Log(int i, ResultDirection d) => Math.Log(Math.Max(probabilities[i].GetValueOrDefault(d), SmallestProbability));
        var higherOverLower = Enumerable.Range(0, examples.Count).Select(i => Log(i, ResultDirection.Higher) - Log(i, ResultDirection.Lower)).ToList();
        var change = Enumerable.Range(0, examples.Count).Select(i => Math.Log(Math.Max(
            probabilities[i].GetValueOrDefault(ResultDirection.Higher) + probabilities[i].GetValueOrDefault(ResultDirection.Lower), SmallestProbability))
            - Log(i, ResultDirection.Same)).ToList();

        var higherVersusLower = Auc(Where(higherOverLower, observed, d => d == ResultDirection.Higher), Where(higherOverLower, observed, d => d == ResultDirection.Lower));
        var changedVersusSame = Auc(Where(change, observed, d => d != ResultDirection.Same), Where(change, observed, d => d == ResultDirection.Same));
        var mean = change.Average();
        var spread = Math.Sqrt(change.Sum(c => (c - mean) * (c - mean)) / change.Count);
        return new DirectionSignal(examples.Count, higherVersusLower, changedVersusSame, spread);
    }

    private static List<double> Where(List<double> scores, List<ResultDirection> observed, Func<ResultDirection, bool> keep) =>
        scores.Where((_, i) => keep(observed[i])).ToList();

    /// <summary>
    /// Area under the ROC curve as the Mann–Whitney statistic (ties count half): a few hundred examples make the plain
    /// pairwise count cheap, and no library here computes it on plain arrays.
    /// </summary>
    internal static double? Auc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0) return null;
        double wins = 0;
        foreach (var p in positives)
        foreach (var n in negatives)
            wins += p > n ? 1 : p == n ? 0.5 : 0;
        return wins / ((double)positives.Count * negatives.Count);
    }
}
