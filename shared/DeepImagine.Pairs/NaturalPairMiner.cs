using System.Text.RegularExpressions;
using DeepImagine.Trials;

namespace DeepImagine.Pairs;

/// <summary>
/// Pairs within one trial: two arms on the same outcome cell (<c>dose</c> or <c>arm</c>), and one arm on two outcome
/// cells (<c>outcome</c>: two time points of a measure, or two measures). Precision over count: only results groups the
/// record shows to be arms are paired, a relation is given only on evidence (a placebo-like anchor, two parsed different
/// doses of the same intervention), and a pair that cannot be built with confidence is dropped and counted by reason.
/// </summary>
public static partial class NaturalPairMiner
{
    /// <summary>Cross-measure outcome pairs are taken among at most this many measures per arm (the first reported).</summary>
    public const int MaxMeasuresForOutcomePairs = 12;

    /// <summary>Reasons a candidate side or pair is dropped (the keys of the drop counts).</summary>
    public static class Drops
    {
        public const string GroupNotAnArm = "group_not_an_arm";
        public const string ZeroN = "zero_n_side";
        public const string ArmWithoutInterventions = "arm_without_interventions";
        public const string TwoPlaceboArms = "two_placebo_arms";
        public const string SameInterventionsNoDoseDifference = "same_interventions_no_dose_difference";
    }

    public static IReadOnlyList<CounterfactualPair> Mine(Trial trial, TrialRef version, IDictionary<string, int>? dropped = null)
    {
        void Drop(string reason, int count = 1)
        {
            if (dropped is not null) dropped[reason] = dropped.TryGetValue(reason, out var n) ? n + count : count;
        }

        var pairs = new List<CounterfactualPair>();
        var isDoseTable = trial.Format == RecordFormat.DoseGroupTable;
        var cellsByMeasure = new List<(OutcomeMeasure Measure, List<PairSide> Sides)>();
        foreach (var outcome in trial.Outcomes)
        {
            var sides = new List<PairSide>();
            foreach (var m in outcome.Measurements.Where(m => m.Value?.Value is not null))
            {
                var group = outcome.Groups.FirstOrDefault(g => g.Id == m.GroupId);
                if (group?.ArmLabel is null) Drop(Drops.GroupNotAnArm);
                else if (m.N == 0) Drop(Drops.ZeroN);
                else sides.Add(Side(trial, version, outcome, m));
            }
            if (sides.Count == 0) continue;
            cellsByMeasure.Add((outcome, sides));
            var cellsPerGroup = sides.GroupBy(s => s.GroupId).Max(g => g.Count());

            // Arm pairs: every two arms in the same cell (class, category) of this measure.
            foreach (var cell in sides.GroupBy(s => (s.Class, s.Category)))
            {
                var inCell = cell.GroupBy(s => s.GroupId).Select(g => g.First()).ToList();
                for (var i = 0; i < inCell.Count; i++)
                {
                    for (var j = i + 1; j < inCell.Count; j++)
                    {
                        var arm = ArmPair(inCell[i], inCell[j], isDoseTable);
                        if (arm.DropReason is not null)
                        {
                            Drop(arm.DropReason);
                            continue;
                        }
                        var (a, b) = (arm.A!, arm.B!);
                        var comparison = Comparison(outcome, a.GroupId, b.GroupId, cellsPerGroup);
                        pairs.Add(new CounterfactualPair
                        {
                            Kind = PairKinds.Natural,
                            Factors = [arm.Factor!],
                            Relation = arm.Relation!,
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
                for (var i = 0; i + 1 < timed.Count; i++) pairs.Add(OutcomePair(timed[i], timed[i + 1], PairRelations.TimeFrame));
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
                    var sameTitle = Normalize.NameKey(a.OutcomeTitle) == Normalize.NameKey(b.OutcomeTitle);
                    pairs.Add(OutcomePair(a, b, sameTitle ? PairRelations.TimeFrame : PairRelations.OtherMeasure));
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

    private static bool SameArm(PairSide x, PairSide y) => x.GroupId == y.GroupId || x.Arm == y.Arm;

    private sealed record ArmPairing(PairSide? A, PairSide? B, string? Factor, string? Relation, string? DropReason)
    {
        public static ArmPairing Dropped(string reason) => new(null, null, null, null, reason);
    }

    /// <summary>
    /// Orients two arms of one cell (A = the anchor: placebo-like arm, active comparator or lower dose) and names
    /// their relation, or says why the pair cannot be built with confidence.
    /// </summary>
    private static ArmPairing ArmPair(PairSide x, PairSide y, bool isDoseTable)
    {
        if (isDoseTable)
        {
            if (x.Dose?.Amount is not { } dx || y.Dose?.Amount is not { } dy) return ArmPairing.Dropped(Drops.SameInterventionsNoDoseDifference);
            if (dx == dy && FrequencyRank(x.Dose) == FrequencyRank(y.Dose)) return ArmPairing.Dropped(Drops.SameInterventionsNoDoseDifference);
            var (low, high) = dx < dy || (dx == dy && FrequencyRank(x.Dose) < FrequencyRank(y.Dose)) ? (x, y) : (y, x);
            return new ArmPairing(low, high, Factors.Dose, low.Dose!.Amount == 0 ? PairRelations.DoseVsPlacebo : PairRelations.DoseRanging, null);
        }

        bool placeboX = IsPlaceboLike(x), placeboY = IsPlaceboLike(y);
        if (placeboX && placeboY) return ArmPairing.Dropped(Drops.TwoPlaceboArms);
        if ((!placeboX && x.Interventions.Count == 0) || (!placeboY && y.Interventions.Count == 0)) return ArmPairing.Dropped(Drops.ArmWithoutInterventions);
        if (placeboX || placeboY)
        {
            // A placebo, sham or no-intervention arm is the comparator even when it also receives background or later therapy.
            var (anchor, changed) = placeboX ? (x, y) : (y, x);
            return new ArmPairing(anchor, changed, Factors.Arm,
                anchor.ArmType == ArmTypes.NoIntervention ? PairRelations.DrugVsNoIntervention : PairRelations.DrugVsPlacebo, null);
        }

        if (x.Interventions.SequenceEqual(y.Interventions))
        {
            if (!HaveDifferentDoses(x, y)) return ArmPairing.Dropped(Drops.SameInterventionsNoDoseDifference);
            var lowerFirst = x.Dose!.Amount < y.Dose!.Amount || (x.Dose.Amount == y.Dose.Amount && FrequencyRank(x.Dose) < FrequencyRank(y.Dose));
            var (low, high) = lowerFirst ? (x, y) : (y, x);
            return new ArmPairing(low, high, Factors.Dose, PairRelations.DoseRanging, null);
        }

        var comparatorFirst = x.ArmType == ArmTypes.ActiveComparator || y.ArmType != ArmTypes.ActiveComparator;
        var (a, b) = comparatorFirst ? (x, y) : (y, x);
        var relation = a.ArmType == ArmTypes.ActiveComparator || b.ArmType == ArmTypes.ActiveComparator ? PairRelations.DrugVsActive : PairRelations.DifferentInterventions;
        return new ArmPairing(a, b, Factors.Arm, relation, null);
    }

    /// <summary>Two parsed doses of the same intervention, in the same unit, that differ in amount or (both stated) in frequency.</summary>
    public static bool HaveDifferentDoses(PairSide a, PairSide b) =>
        a.DosedIntervention is not null && a.DosedIntervention == b.DosedIntervention
        && a.Dose is { IsParsed: true } da && b.Dose is { IsParsed: true } db && da.Unit == db.Unit
        && (da.Amount != db.Amount || (FrequencyRank(da) is { } fa && FrequencyRank(db) is { } fb && fa != fb));

    private static double? FrequencyRank(Dose? dose) => dose?.Frequency switch
    {
        "once weekly" => 1.0 / 7,
        "every 2 weeks" => 1.0 / 14,
        "every 4 weeks" => 1.0 / 28,
        "once daily" => 1,
        "twice daily" => 2,
        "three times daily" => 3,
        "four times daily" => 4,
        _ => null,
    };

    /// <summary>A placebo / sham / no-intervention arm by type, or an arm given nothing but placebo.</summary>
    public static bool IsPlaceboLike(PairSide side) =>
        ArmTypes.IsPlaceboLike(side.ArmType) || (side.Interventions.Count == 0 && side.ReceivesPlacebo);

    /// <summary>
    /// The analysis reported on exactly these two groups, where the measure has one cell per group; none when the
    /// measure has several classes / categories / time points (an analysis does not say which) or when several
    /// analyses of the two groups disagree on significance.
    /// </summary>
    private static PairComparison? Comparison(OutcomeMeasure outcome, string groupA, string groupB, int cellsPerGroup)
    {
        if (cellsPerGroup != 1) return null;
        var matching = outcome.Analyses.Where(x => x.GroupIds.Count == 2 && x.GroupIds.Contains(groupA) && x.GroupIds.Contains(groupB)).ToList();
        if (matching.Count == 0) return null;
        // Several analyses of the same two groups (a log-rank test and a Cox model): attached only when they agree on significance.
        var analysis = matching[0];
        if (matching.Skip(1).Any(x => DirectionLabeler.Significant(ToComparison(x, cellsPerGroup)) != DirectionLabeler.Significant(ToComparison(analysis, cellsPerGroup))))
            return null;
        return ToComparison(analysis, cellsPerGroup);
    }

    private static PairComparison ToComparison(StatisticalAnalysis analysis, int cellsPerGroup)
    {
        return new PairComparison(analysis.PValue?.Text, analysis.PValue?.Value, analysis.PValue?.Comparator, analysis.Method, analysis.ParamType,
            analysis.Estimate?.Value, analysis.CiLower?.Value, analysis.CiUpper?.Value, analysis.GroupIds.ToList(), cellsPerGroup);
    }

    /// <summary>The side a results group that is an arm gives on one measurement, with the arm's interventions and dose.</summary>
    public static PairSide Side(Trial trial, TrialRef version, OutcomeMeasure outcome, Measurement measurement)
    {
        var group = outcome.Groups.First(g => g.Id == measurement.GroupId);
        var arm = trial.Arms.First(a => a.Label == group.ArmLabel);
        // A placebo or sham comparator receives placebo in the comparison, whatever else its arm lists (a later switch
        // to the drug, the drug linked to every arm of a crossover).
        var active = arm.Type is ArmTypes.PlaceboComparator or ArmTypes.ShamComparator
            ? []
            : arm.Interventions.Where(i => !i.IsPlacebo).OrderBy(i => Normalize.NameKey(i.Name), StringComparer.Ordinal).ToList();
        // The dose in the group's own words first: its title (dose groups registered as one arm); then the arm's (label,
        // description, the intervention's own description); then the group's description right after the intervention's name.
        var dosed = active.Select(i => (i.Name, Dose: DoseParser.FromGroupTitle(i.Name, group.Title))).FirstOrDefault(d => d.Dose is not null);
        if (dosed.Dose is null) dosed = active.Select(i => (i.Name, i.Dose)).FirstOrDefault(d => d.Dose?.IsParsed == true);
        if (dosed.Dose is null) dosed = active.Select(i => (i.Name, Dose: DoseParser.FromGroupDescription(i.Name, group.Description))).FirstOrDefault(d => d.Dose is not null);
        // A placebo group of a dose table carries dose 0: the zero-dose anchor.
        if (dosed.Dose is null && trial.Format == RecordFormat.DoseGroupTable) dosed = arm.Interventions.Select(i => (i.Name, i.Dose)).FirstOrDefault(d => d.Dose?.IsParsed == true);
        return new PairSide
        {
            TrialId = version.TrialId,
            Source = version.Source,
            SourceRecordId = version.SourceRecordId,
            Version = version.Version,
            TrialRowId = version.RowId,
            GroupId = measurement.GroupId,
            Arm = arm.Label,
            ArmType = arm.Type,
            Interventions = active.Select(i => Normalize.NameKey(i.Name)).Distinct().Order(StringComparer.Ordinal).ToList(),
            ReceivesPlacebo = arm.Interventions.Any(i => i.IsPlacebo),
            Dose = dosed.Dose,
            DosedIntervention = dosed.Dose is null ? null : Normalize.NameKey(dosed.Name),
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

    /// <summary>A label that is a time point and nothing else: "Week 12", "Day 1", "6 months", "Baseline", "W24".</summary>
    public static bool IsTimePoint(string? label) => label is not null && TimePattern().IsMatch(label.Trim());

    /// <summary>A time point label or time frame that is the baseline (before treatment).</summary>
    public static bool IsBaseline(string? label) => label is not null && BaselinePattern().IsMatch(label.Trim());

    [GeneratedRegex(@"^(?:at\s+)?(?:(?:baseline|day|week|wk|month|year|hour|hr|visit|cycle|time ?point|follow[- ]up|end of (?:study|treatment))s?\s*[-#:]?\s*\d*(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?)(?:\s+(?:post[- ]?\w+|after \w+))?|[dwmy]\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^(?:at\s+)?(?:baseline|pre[- ]?(?:treatment|dose|surgery|operative)|screening|day\s*0|week\s*0|day\s*1|visit\s*1)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BaselinePattern();
}
