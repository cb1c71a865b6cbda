namespace DeepImagine.Evaluation;

/// <summary>A question's answer and what a method said (null: no prediction at all).</summary>
public sealed record ScoredItem(string Group, string QuestionClass, int Answer, double[]? Probabilities);

/// <summary>Named scores (e.g. bacc, f1, ce) overall and per question class.</summary>
public sealed record TaskScore(IReadOnlyDictionary<string, double> Overall, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ByClass,
    IReadOnlyDictionary<string, int> CountByClass, int Missing);

/// <summary>How a benchmark turns answers and probabilities into scores.</summary>
public interface ITaskScorer
{
    /// <summary>Metric names in print order; lower is better only for <c>ce</c>.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>The metric plotted per class (balanced accuracy or its significant-vs-not form).</summary>
    string AccuracyMetric { get; }

    TaskScore Score(IReadOnlyList<ScoredItem> items);
}

/// <summary>
/// CT Open (benchmark README): per class balanced accuracy and macro-F1 of the argmax, where for 3-way options 0 and 1
/// are merged into "a significant difference" against option 2 first; cross-entropy over the options as given;
/// overall = plain mean over the classes present.
/// </summary>
public sealed class CtOpenScorer : ITaskScorer
{
    public IReadOnlyList<string> MetricNames { get; } = ["bacc", "f1", "ce"];

    public string AccuracyMetric => "bacc";

    public TaskScore Score(IReadOnlyList<ScoredItem> items)
    {
        var byClass = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        var counts = new Dictionary<string, int>();
        foreach (var group in items.GroupBy(i => i.QuestionClass).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var list = group.ToList();
            Func<int, int> merge = group.Key == Imagining.Questions.QuestionClasses.ThreeWay ? SignificantOrNot : label => label;
            var truth = list.Select(i => merge(i.Answer)).ToList();
            var predicted = list.Select(i => Metrics.ArgMax(i.Probabilities) is var p and >= 0 ? merge(p) : -1).ToList();
            byClass[group.Key] = new Dictionary<string, double>
            {
                ["bacc"] = Metrics.BalancedAccuracy(truth, predicted),
                ["f1"] = Metrics.MacroF1(truth, predicted),
                ["ce"] = Metrics.CrossEntropy(list.Select(i => i.Answer).ToList(), list.Select(i => i.Probabilities).ToList()),
            };
            counts[group.Key] = list.Count;
        }
        var overall = MetricNames.ToDictionary(m => m, m => byClass.Count == 0 ? double.NaN : byClass.Values.Average(c => c[m]));
        return new TaskScore(overall, byClass, counts, items.Count(i => Metrics.Normalised(i.Probabilities) is null));
    }

    /// <summary>3-way options 0 and 1 (either arm significantly worse) are one label; option 2 (no difference) the other.</summary>
    public static int SignificantOrNot(int option) => option == 2 ? 1 : 0;
}

/// <summary>
/// Evidence Inference (issue 16): macro-F1 over the three labels, balanced accuracy of significant (increased or
/// decreased) against not, cross-entropy over the three labels.
/// </summary>
public sealed class EvidenceInferenceScorer : ITaskScorer
{
    public IReadOnlyList<string> MetricNames { get; } = ["f1", "sig_bacc", "ce"];

    public string AccuracyMetric => "sig_bacc";

    public TaskScore Score(IReadOnlyList<ScoredItem> items)
    {
        var truth = items.Select(i => i.Answer).ToList();
        var predicted = items.Select(i => Metrics.ArgMax(i.Probabilities)).ToList();
        var scores = new Dictionary<string, double>
        {
            ["f1"] = Metrics.MacroF1(truth, predicted),
            ["sig_bacc"] = Metrics.BalancedAccuracy(truth.Select(Significant).ToList(), predicted.Select(p => p < 0 ? -1 : Significant(p)).ToList()),
            ["ce"] = Metrics.CrossEntropy(truth, items.Select(i => i.Probabilities).ToList()),
        };
        var cls = items.Count > 0 ? items[0].QuestionClass : Tasks.EvidenceInferenceTask.QuestionClass;
        return new TaskScore(scores, new Dictionary<string, IReadOnlyDictionary<string, double>> { [cls] = scores },
            new Dictionary<string, int> { [cls] = items.Count }, items.Count(i => Metrics.Normalised(i.Probabilities) is null));
    }

    /// <summary>Label order is <see cref="Tasks.EvidenceInferenceTask.Labels"/>: increased 0, decreased 1, no difference 2.</summary>
    public static int Significant(int label) => label == 2 ? 1 : 0;
}
