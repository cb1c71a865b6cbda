using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.PairMiner.Components.Edge;

/// <summary>The domain pair as the wire contract (<see cref="PairRecord"/>, schema version 1): mapped here, at the service's edge.</summary>
public static class PairRecordMapping
{
    public static PairRecord ToRecord(long id, CounterfactualPair pair) => new(
        PairRecord.CurrentSchemaVersion, id, pair.Kind, pair.Factors, pair.Relation, pair.Similarity,
        ToRecord(pair.A), ToRecord(pair.B),
        pair.Comparison is { } c ? new PairComparisonRecord(c.PValueText, c.PValue, c.PValueComparator, c.Method, c.ParamType, c.Estimate, c.CiLower, c.CiUpper, c.GroupIds, c.CellsPerGroup) : null,
        new PairLabelRecord(pair.Direction.Direction, pair.Direction.Basis, pair.Direction.StandardizedDifference, pair.Direction.HigherIsBetter,
            pair.Direction.BetterBasis, pair.Direction.Significant, pair.Direction.BIsBetter));

    private static PairSideRecord ToRecord(PairSide s) => new(
        s.TrialId, s.Source, s.SourceRecordId, s.Version, s.GroupId, s.Arm, s.ArmType, s.Interventions,
        s.Dose is { } d ? ToRecord(d) : null,
        s.OutcomeId, s.OutcomeTitle, s.OutcomeKind, s.TimeFrame, s.Unit, s.ParamType, s.DispersionType, s.Class, s.Category,
        s.Value, s.ValueText, s.Spread, s.LowerLimit, s.UpperLimit, s.N, s.TrialRowId, s.ReceivesPlacebo, s.DosedIntervention);

    private static DoseRecord ToRecord(Dose d) => new(d.Amount, d.Unit, d.Frequency, d.Route, d.Text, d.Provenance);
}
