using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.Imagining.Questions;

/// <summary>
/// Builds CT Open-style questions with known answers from a trial's reported statistical analyses: for each analysis
/// between two arms on one outcome, a superiority question (2-way explicit) and a comparative one (3-way), and for a
/// primary outcome compared against a comparator, whether the endpoint was met (2-way implicit). The answer comes from
/// the reported p-value (below 0.05 is significant) and, for a significant result, from which arm's value is better
/// (<see cref="DirectionLabeler.HigherIsBetter"/>). A question whose answer the record does not determine is not built.
/// </summary>
public static class OutcomeQuestionBuilder
{
    public const string ImplicitKeySuffix = " [endpoint met]";

    public static IReadOnlyList<CtOpenItem> Build(Trial trial)
    {
        var items = new List<CtOpenItem>();
        var nctId = trial.NctId ?? trial.TrialId;
        var arms = trial.Arms.Select(ToCtOpenArm).ToList();
        foreach (var outcome in trial.Outcomes)
        {
            var comparisons = outcome.Analyses
                .Select(a => Compare(trial, outcome, a))
                .OfType<Comparison>()
                .DistinctBy(c => (c.X.Id, c.Y.Id))
                .ToList();
            if (comparisons.Count == 0) continue;

            var endpoint = new CtOpenEndpoint
            {
                Measure = outcome.Title,
                Description = outcome.Description,
                TimeFrame = outcome.TimeFrame,
                OutcomeType = outcome.Kind == "PRIMARY" ? "primaryOutcomes" : "secondaryOutcomes",
            };
            var key = EndpointKey(endpoint);
            var explicitQuestions = new List<CtOpenQuestion>();
            foreach (var c in comparisons)
            {
                if (c.Significant is false || c.XBetter is not null)
                {
                    explicitQuestions.Add(Superiority(c));
                    explicitQuestions.Add(Comparative(c));
                }
            }
            if (explicitQuestions.Count > 0)
            {
                items.Add(new CtOpenItem
                {
                    NctId = nctId,
                    EndpointKey = key,
                    BriefTitle = trial.Title,
                    Endpoint = endpoint,
                    Arms = arms,
                    MetaLabel = comparisons.Count == 1 ? "single_arm" : "distinguishable_arm",
                    Questions = explicitQuestions,
                });
            }

            if (outcome.Kind == "PRIMARY" && EndpointMet(comparisons) is { } met)
            {
                items.Add(new CtOpenItem
                {
                    NctId = nctId,
                    EndpointKey = key + ImplicitKeySuffix,
                    BriefTitle = trial.Title,
                    Endpoint = endpoint,
                    Arms = arms,
                    MetaLabel = "no_arm",
                    Questions = [new CtOpenQuestion { Options = ["This endpoint is met.", "This endpoint is not met."], AnswerIndex = met ? 0 : 1 }],
                });
            }
        }
        return items;
    }

    /// <summary>The endpoint as the benchmark keys it: a Python-dict string of its four fields.</summary>
    public static string EndpointKey(CtOpenEndpoint e) =>
        $"{{'measure': {PyString(e.Measure)}, 'description': {PyString(e.Description)}, 'timeFrame': {PyString(e.TimeFrame)}, 'outcome_type': {PyString(e.OutcomeType)}}}";

    private static string PyString(string? s) => s is null ? "None" : "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>X is the experimental side, Y the comparator; <see cref="XBetter"/> is null where the direction is unknown.</summary>
    private sealed record Comparison(ResultGroup X, string XLabel, int XRank, ResultGroup Y, string YLabel, int YRank, bool? Significant, bool? XBetter);

    private static CtOpenQuestion Superiority(Comparison c) => new()
    {
        Options =
        [
            $"The study arm {c.XLabel} has achieved statistically significant improvements over the study arm {c.YLabel} with respect to this specific endpoint.",
            $"The study arm {c.XLabel} has not achieved statistically significant improvements over the study arm {c.YLabel} with respect to this specific endpoint, either because of no statistical effect or worse effect.",
        ],
        AnswerIndex = c.Significant is true && c.XBetter is true ? 0 : 1,
    };

    private static CtOpenQuestion Comparative(Comparison c) => new()
    {
        Options =
        [
            $"Study Arm {c.YLabel} is statistically significantly worse than Study Arm {c.XLabel}.",
            $"Study Arm {c.XLabel} is statistically significantly worse than Study Arm {c.YLabel}.",
            $"No statistically significant difference between Study Arm {c.XLabel} and Study Arm {c.YLabel}.",
        ],
        AnswerIndex = c.Significant is false ? 2 : c.XBetter is true ? 0 : 1,
    };

    /// <summary>Met when any experimental arm is significantly better than a comparator; not met only when every comparison says so.</summary>
    private static bool? EndpointMet(IReadOnlyList<Comparison> comparisons)
    {
        var againstComparator = comparisons.Where(c => c.YRank > c.XRank).ToList();
        if (againstComparator.Count == 0) return null;
        if (againstComparator.Any(c => c.Significant is true && c.XBetter is true)) return true;
        return againstComparator.All(c => c.Significant is false || (c.Significant is true && c.XBetter is false)) ? false : null;
    }

    private static Comparison? Compare(Trial trial, OutcomeMeasure outcome, StatisticalAnalysis analysis)
    {
        if (analysis.GroupIds.Count != 2 || IsNonInferiorityOrEquivalence(analysis.NonInferiorityType)) return null;
        var significant = Significant(analysis.PValue);
        if (significant is null) return null;
        var groups = analysis.GroupIds.Select(id => outcome.Groups.FirstOrDefault(g => g.Id == id)).ToList();
        if (groups[0] is not { } first || groups[1] is not { } second) return null;
        var (rankFirst, rankSecond) = (ComparatorRank(trial, first), ComparatorRank(trial, second));
        // The experimental side is the one further from a comparator; between equals, the first group as reported.
        var (x, y, xRank, yRank) = rankSecond < rankFirst ? (second, first, rankSecond, rankFirst) : (first, second, rankFirst, rankSecond);
        return new Comparison(x, Label(x), xRank, y, Label(y), yRank, significant, XBetter(outcome, x, y));
    }

    private static bool? XBetter(OutcomeMeasure outcome, ResultGroup x, ResultGroup y)
    {
        var (higherIsBetter, _) = DirectionLabeler.HigherIsBetter(outcome.Title, outcome.Unit);
        if (higherIsBetter is not { } higher) return null;
        var valueX = SingleValue(outcome, x.Id);
        var valueY = SingleValue(outcome, y.Id);
        if (valueX is null || valueY is null || valueX == valueY) return null;
        return (valueX > valueY) == higher;
    }

    /// <summary>The group's value when the measure reports exactly one numeric value for it (no classes or categories to choose from).</summary>
    private static double? SingleValue(OutcomeMeasure outcome, string groupId)
    {
        var values = outcome.Measurements.Where(m => m.GroupId == groupId).ToList();
        return values.Count == 1 && values[0].Value is { Comparator: "=", Value: { } v } ? v : null;
    }

    /// <summary>The project's one reading of a reported p-value (<see cref="DirectionLabeler.Significant"/>): below 0.05 is significant.</summary>
    private static bool? Significant(ReportedNumber? p) =>
        p?.Value is null ? null : DirectionLabeler.Significant(new PairComparison(p.Text, p.Value, p.Comparator, null, null, null, null, null));

    // A non-inferiority or equivalence p-value tests a margin, not a difference: it cannot answer these questions.
    // Legacy records say only "Yes" (is non-inferiority or equivalence) or "No".
    private static bool IsNonInferiorityOrEquivalence(string? type) =>
        type is not null && (type.Equals("Yes", StringComparison.OrdinalIgnoreCase)
                             || (type.Contains("INFERIORITY", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("SUPERIORITY", StringComparison.OrdinalIgnoreCase))
                             || type.Contains("EQUIVALENCE", StringComparison.OrdinalIgnoreCase));

    private static string Label(ResultGroup group) => group.ArmLabel ?? group.Title;

    /// <summary>0 experimental or unknown, 1 active comparator, 2 placebo, sham or no intervention.</summary>
    private static int ComparatorRank(Trial trial, ResultGroup group)
    {
        var arm = trial.Arms.FirstOrDefault(a => a.Label == group.ArmLabel);
        var type = arm?.Type;
        if (type is "PLACEBO_COMPARATOR" or "SHAM_COMPARATOR" or "NO_INTERVENTION") return 2;
        if (arm is not null && arm.Interventions.Count > 0 && arm.Interventions.All(i => i.IsPlacebo)) return 2;
        if (type is "ACTIVE_COMPARATOR") return 1;
        var title = group.Title.ToLowerInvariant();
        return title.Contains("placebo", StringComparison.Ordinal) || title.Contains("sham", StringComparison.Ordinal) ? 2 : 0;
    }

    private static CtOpenArm ToCtOpenArm(Arm arm) => new()
    {
        Label = arm.Label,
        Type = arm.Type,
        Description = arm.Description,
        InterventionNames = arm.Interventions.Select(i => $"{Pretty(i.Type)}: {i.Name}").ToList(),
        Interventions = arm.Interventions.Select(i => new CtOpenIntervention { Type = i.Type, Name = i.Name, Description = i.Dose?.Text }).ToList(),
    };

    private static string Pretty(string? type) => type is null or { Length: 0 } ? "Other" : char.ToUpperInvariant(type[0]) + type[1..].ToLowerInvariant().Replace('_', ' ');
}
