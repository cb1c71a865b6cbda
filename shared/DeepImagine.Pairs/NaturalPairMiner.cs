using System.Text.RegularExpressions;
using DeepImagine.Trials;

namespace DeepImagine.Pairs;

/// <summary>
/// Pairs within one trial: two arms on the same outcome cell (<c>dose</c> or <c>arm</c>), and one arm on two outcome
/// cells (<c>outcome</c>: two time points of a measure, or two measures).
/// </summary>
public static partial class NaturalPairMiner
{
    /// <summary>Cross-measure outcome pairs are taken among at most this many measures per arm (the first reported).</summary>
    public const int MaxMeasuresForOutcomePairs = 12;

    public static IReadOnlyList<CounterfactualPair> Mine(Trial trial, TrialRef version)
    {
        var pairs = new List<CounterfactualPair>();
        var isDoseTable = trial.Format == RecordFormat.DoseGroupTable;
        var cellsByMeasure = new List<(OutcomeMeasure Measure, List<PairSide> Sides)>();
        foreach (var outcome in trial.Outcomes)
        {
            var sides = outcome.Measurements
                .Where(m => m.Value?.Value is not null)
                .Select(m => Side(trial, version, outcome, m))
                .ToList();
            if (sides.Count == 0) continue;
            cellsByMeasure.Add((outcome, sides));

            // Arm pairs: every two groups in the same cell (class, category) of this measure.
            foreach (var cell in sides.GroupBy(s => (s.Class, s.Category)))
            {
                var inCell = cell.GroupBy(s => s.GroupId).Select(g => g.First()).ToList();
                for (var i = 0; i < inCell.Count; i++)
                {
                    for (var j = i + 1; j < inCell.Count; j++)
                    {
                        var (a, b) = Orient(inCell[i], inCell[j], isDoseTable);
                        var (factor, relation) = ArmFactor(a, b, isDoseTable);
                        var comparison = Comparison(outcome, a.GroupId, b.GroupId);
                        pairs.Add(new CounterfactualPair
                        {
                            Kind = PairKinds.Natural,
                            Factors = [factor],
                            Relation = relation,
                            A = a,
                            B = b,
                            Comparison = comparison,
                            Direction = DirectionLabeler.Label(a, b, comparison),
                            Similarity = 1,
                        });
                    }
                }
            }

            // Outcome pairs within the measure: one group at consecutive time points, where the classes (or the
            // categories) are time points and everything else about the cell is the same.
            foreach (var series in sides.Where(s => IsTimePoint(s.Class)).GroupBy(s => (s.GroupId, s.Category))
                         .Concat(sides.Where(s => !IsTimePoint(s.Class) && IsTimePoint(s.Category)).GroupBy(s => (s.GroupId, s.Class))))
            {
                var timed = series.ToList();
                for (var i = 0; i + 1 < timed.Count; i++) pairs.Add(OutcomePair(timed[i], timed[i + 1], "time_frame"));
            }
        }

        // Outcome pairs across measures: one group (arm) on two single-valued measures.
        var singleValued = cellsByMeasure
            .Where(c => c.Sides.GroupBy(s => s.GroupId).All(g => g.Count() == 1))
            .Take(MaxMeasuresForOutcomePairs)
            .ToList();
        for (var i = 0; i < singleValued.Count; i++)
        {
            for (var j = i + 1; j < singleValued.Count; j++)
            {
                foreach (var a in singleValued[i].Sides)
                {
                    var b = singleValued[j].Sides.FirstOrDefault(s => SameArm(s, a));
                    if (b is null) continue;
                    var sameMeasure = Normalize.NameKey(a.OutcomeTitle) == Normalize.NameKey(b.OutcomeTitle);
                    pairs.Add(OutcomePair(a, b, sameMeasure ? "time_frame" : "other_measure"));
                }
            }
        }
        return pairs;
    }

    private static CounterfactualPair OutcomePair(PairSide a, PairSide b, string relation) => new()
    {
        Kind = PairKinds.Natural,
        Factors = [Factors.Outcome],
        Relation = relation,
        A = a,
        B = b,
        Direction = DirectionLabeler.Label(a, b, null),
        Similarity = 1,
    };

    private static bool SameArm(PairSide x, PairSide y) =>
        x.GroupId == y.GroupId || (x.Arm == y.Arm && x.Interventions.SequenceEqual(y.Interventions));

    /// <summary>A = the anchor (placebo, comparator or lower dose), B = the changed arm.</summary>
    private static (PairSide A, PairSide B) Orient(PairSide x, PairSide y, bool isDoseTable)
    {
        static int Rank(PairSide s) => s.Interventions.Count == 0 ? 0 : s.ArmType is "PLACEBO_COMPARATOR" or "SHAM_COMPARATOR" or "NO_INTERVENTION" ? 1 : s.ArmType is "ACTIVE_COMPARATOR" ? 2 : 3;
        if (Rank(x) != Rank(y)) return Rank(x) < Rank(y) ? (x, y) : (y, x);
        if (x.Dose?.Amount is { } dx && y.Dose?.Amount is { } dy && dx != dy && (isDoseTable || x.Dose.Unit == y.Dose.Unit))
            return dx < dy ? (x, y) : (y, x);
        return (x, y);
    }

    private static (string Factor, string Relation) ArmFactor(PairSide a, PairSide b, bool isDoseTable)
    {
        if (isDoseTable) return (Factors.Dose, a.Interventions.Count == 0 ? "dose_vs_placebo" : "dose_ranging");
        // A placebo, sham or no-intervention arm is the comparator even when it also receives background or later therapy.
        if (IsPlaceboLike(a) && !IsPlaceboLike(b))
            return (Factors.Arm, a.ArmType == "NO_INTERVENTION" ? "drug_vs_no_intervention" : "drug_vs_placebo");
        if (a.Interventions.Count > 0 && a.Interventions.SequenceEqual(b.Interventions)) return (Factors.Dose, "dose_ranging");
        if (a.ArmType == "ACTIVE_COMPARATOR" || b.ArmType == "ACTIVE_COMPARATOR") return (Factors.Arm, "drug_vs_active");
        return (Factors.Arm, "different_interventions");
    }

    private static bool IsPlaceboLike(PairSide side) =>
        side.Interventions.Count == 0 || side.ArmType is "PLACEBO_COMPARATOR" or "SHAM_COMPARATOR" or "NO_INTERVENTION";

    private static PairComparison? Comparison(OutcomeMeasure outcome, string groupA, string groupB)
    {
        var analysis = outcome.Analyses.FirstOrDefault(x => x.GroupIds.Count == 2 && x.GroupIds.Contains(groupA) && x.GroupIds.Contains(groupB));
        return analysis is null
            ? null
            : new PairComparison(analysis.PValue?.Text, analysis.PValue?.Value, analysis.PValue?.Comparator, analysis.Method, analysis.ParamType,
                analysis.Estimate?.Value, analysis.CiLower?.Value, analysis.CiUpper?.Value);
    }

    /// <summary>The side a results group gives on one measurement, with the arm's interventions and dose.</summary>
    public static PairSide Side(Trial trial, TrialRef version, OutcomeMeasure outcome, Measurement measurement)
    {
        var group = outcome.Groups.FirstOrDefault(g => g.Id == measurement.GroupId);
        var arm = group?.ArmLabel is { } label ? trial.Arms.FirstOrDefault(a => a.Label == label) : null;
        var title = group?.Title ?? measurement.GroupId;
        IReadOnlyList<ArmIntervention> given = arm?.Interventions ?? GuessInterventions(trial, title, group?.Description);
        var active = given.Where(i => !i.IsPlacebo).ToList();
        return new PairSide
        {
            TrialId = version.TrialId,
            Source = version.Source,
            SourceRecordId = version.SourceRecordId,
            Version = version.Version,
            TrialRowId = version.RowId,
            GroupId = measurement.GroupId,
            Arm = arm?.Label ?? title,
            ArmType = arm?.Type ?? (Normalize.IsPlacebo(title) ? "PLACEBO_COMPARATOR" : null),
            Interventions = active.Select(i => Normalize.NameKey(i.Name)).Distinct().Order(StringComparer.Ordinal).ToList(),
            // A placebo group of a dose table carries dose 0: the zero-dose anchor.
            Dose = active.Select(i => i.Dose).FirstOrDefault(d => d?.IsParsed == true)
                   ?? active.Select(i => i.Dose).FirstOrDefault(d => d is not null)
                   ?? given.Select(i => i.Dose).FirstOrDefault(d => d?.IsParsed == true),
            OutcomeId = outcome.Id,
            OutcomeTitle = outcome.Title,
            OutcomeKind = outcome.Kind,
            TimeFrame = outcome.TimeFrame,
            Unit = outcome.Unit,
            ParamType = outcome.ParamType,
            DispersionType = outcome.DispersionType,
            Class = measurement.Class,
            Category = measurement.Category,
            Value = measurement.Value!.Value!.Value,
            ValueText = measurement.Value.Text,
            Spread = measurement.Spread?.Value,
            LowerLimit = measurement.LowerLimit?.Value,
            UpperLimit = measurement.UpperLimit?.Value,
            N = measurement.N,
        };
    }

    /// <summary>For a results group no arm matches: the trial's interventions its title or description names.</summary>
    private static List<ArmIntervention> GuessInterventions(Trial trial, string title, string? description)
    {
        var text = $"{title} {description}";
        if (Normalize.IsPlacebo(title)) return [];
        return trial.Interventions
            .Where(i => !i.IsPlacebo && i.Name.Length > 0 && text.Contains(i.Name, StringComparison.OrdinalIgnoreCase))
            .Select(i => new ArmIntervention { Name = i.Name, Type = i.Type, Dose = DoseParser.Find(i.Name, title, description) })
            .ToList();
    }

    /// <summary>A label that is a time point and nothing else: "Week 12", "Day 1", "6 months", "Baseline", "W24".</summary>
    public static bool IsTimePoint(string? label) => label is not null && TimePattern().IsMatch(label.Trim());

    [GeneratedRegex(@"^(?:at\s+)?(?:(?:baseline|day|week|wk|month|year|hour|hr|visit|cycle|time ?point|follow[- ]up|end of (?:study|treatment))s?\s*[-#:]?\s*\d*(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?)(?:\s+(?:post[- ]?\w+|after \w+))?|[dwmy]\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();
}
