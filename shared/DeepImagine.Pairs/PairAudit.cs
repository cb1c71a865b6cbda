using DeepImagine.Trials;

namespace DeepImagine.Pairs;

/// <summary>
/// Invariants every stored pair must hold, checked on the pair alone (what it stores is its own evidence):
/// a dose-ranging pair has two parsed, different doses of the same intervention; a *_vs_placebo anchor is a placebo,
/// sham or no-intervention arm (or, in a dose table, the zero dose); no side has N = 0; different measures are
/// labelled incomparable; an attached analysis is on exactly the pair's two groups of a measure with one cell per group.
/// </summary>
public static class PairAudit
{
    public const string DoseRangingWithoutDoseDifference = "dose_ranging_without_dose_difference";
    public const string PlaceboAnchorNotPlacebo = "placebo_anchor_not_placebo";
    public const string ZeroNSide = "zero_n_side";
    public const string DifferentMeasureComparable = "different_measure_comparable";
    public const string AnalysisOnOtherCell = "analysis_on_other_cell";

    /// <summary>The invariants in the order the audit prints them.</summary>
    public static readonly IReadOnlyList<string> Invariants =
        [DoseRangingWithoutDoseDifference, PlaceboAnchorNotPlacebo, ZeroNSide, DifferentMeasureComparable, AnalysisOnOtherCell];

    public static bool DoseRangingHasNoDoseDifference(CounterfactualPair pair) =>
        pair.Relation == PairRelations.DoseRanging
        && (!pair.A.Interventions.SequenceEqual(pair.B.Interventions) || !NaturalPairMiner.HaveDifferentDoses(pair.A, pair.B)
            && !(pair.A.Dose?.Provenance == DoseProvenance.DoseTable && pair.A.Dose.Amount is { } x && pair.B.Dose?.Amount is { } y && (x != y || pair.A.Dose.Frequency != pair.B.Dose.Frequency)));

    public static bool PlaceboAnchorIsNotPlacebo(CounterfactualPair pair) =>
        PairRelations.NeedsPlaceboAnchor(pair.Relation)
        && !(pair.Relation == PairRelations.DoseVsPlacebo
            ? pair.A.Dose is { Amount: 0, Provenance: DoseProvenance.DoseTable }
            : NaturalPairMiner.IsPlaceboLike(pair.A) && !NaturalPairMiner.IsPlaceboLike(pair.B));

    public static bool HasZeroNSide(CounterfactualPair pair) => pair.A.N == 0 || pair.B.N == 0;

    public static bool DifferentMeasuresLabelledComparable(CounterfactualPair pair) =>
        !DirectionLabeler.SameMeasure(pair.A, pair.B) && pair.Direction.Direction != DirectionLabel.Incomparable;

    public static bool AnalysisIsOnAnotherCell(CounterfactualPair pair) =>
        pair.Comparison is { } c
        && (c.GroupIds is not { Count: 2 } ids || !ids.Contains(pair.A.GroupId) || !ids.Contains(pair.B.GroupId)
            || c.CellsPerGroup != 1 || pair.A.TrialRowId != pair.B.TrialRowId || pair.A.OutcomeId != pair.B.OutcomeId
            || pair.A.Class != pair.B.Class || pair.A.Category != pair.B.Category);

    /// <summary>The invariants one pair breaks.</summary>
    public static IEnumerable<string> Violations(CounterfactualPair pair)
    {
        if (DoseRangingHasNoDoseDifference(pair)) yield return DoseRangingWithoutDoseDifference;
        if (PlaceboAnchorIsNotPlacebo(pair)) yield return PlaceboAnchorNotPlacebo;
        if (HasZeroNSide(pair)) yield return ZeroNSide;
        if (DifferentMeasuresLabelledComparable(pair)) yield return DifferentMeasureComparable;
        if (AnalysisIsOnAnotherCell(pair)) yield return AnalysisOnOtherCell;
    }

    /// <summary>How many pairs break each invariant (every invariant present, zeros included).</summary>
    public static IReadOnlyDictionary<string, int> Count(IEnumerable<CounterfactualPair> pairs)
    {
        var counts = Invariants.ToDictionary(i => i, _ => 0);
        foreach (var pair in pairs)
        {
            foreach (var violation in Violations(pair)) counts[violation]++;
        }
        return counts;
    }

    /// <summary>The audit's summary line: <c>name=count</c> for every invariant.</summary>
    public static string SummaryLine(IReadOnlyDictionary<string, int> counts) => string.Join(' ', Invariants.Select(i => $"{i}={counts[i]}"));
}

/// <summary>What mining a set of trials in-process gives: pairs per source and relation, drops by reason, invariant counts.</summary>
public sealed record MiningAudit(
    int Trials,
    int Pairs,
    IReadOnlyDictionary<(string Source, string Relation), int> PairsByRelation,
    IReadOnlyDictionary<string, int> Dropped,
    IReadOnlyDictionary<string, int> Violations)
{
    /// <summary>Mines every trial's natural pairs (row ids in order) and audits them.</summary>
    public static MiningAudit Run(IEnumerable<Trial> trials)
    {
        var byRelation = new SortedDictionary<(string, string), int>();
        var dropped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var violations = PairAudit.Invariants.ToDictionary(i => i, _ => 0);
        int trialCount = 0, pairCount = 0;
        foreach (var trial in trials)
        {
            trialCount++;
            var pairs = NaturalPairMiner.Mine(trial, new TrialRef(trialCount, trial.TrialId, trial.Source, trial.SourceRecordId, 1), dropped);
            pairCount += pairs.Count;
            foreach (var pair in pairs)
            {
                var key = (trial.Source, pair.Relation);
                byRelation[key] = byRelation.GetValueOrDefault(key) + 1;
            }
            foreach (var (invariant, count) in PairAudit.Count(pairs)) violations[invariant] += count;
        }
        return new MiningAudit(trialCount, pairCount, byRelation, dropped, violations);
    }
}
