using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.PairMiner;

/// <summary>
/// pair-miner's wire contract (<see cref="PairRecord"/>) back to the domain pair: the one place trace-generator maps it,
/// the inverse of pair-miner's <c>Edge/PairRecordMapping</c>. A record that lacks what the domain needs is refused
/// naming the pair and the field.
/// </summary>
public static class PairRecordToDomain
{
    public static MinedPair ToMinedPair(PairRecord record)
    {
        if (record.SchemaVersion != PairRecord.CurrentSchemaVersion)
            throw new FormatException($"pair {record.Id}: field 'schemaVersion' is {record.SchemaVersion}, trace-generator reads {PairRecord.CurrentSchemaVersion}");
        return new MinedPair(record.Id, new CounterfactualPair
        {
            Kind = record.Kind,
            Factors = record.Factors,
            Relation = record.Relation,
            Similarity = record.Similarity,
            A = ToSide(record.Id, "a", record.A),
            B = ToSide(record.Id, "b", record.B),
            Comparison = record.Comparison is { } c
                ? new PairComparison(c.PValueText, c.PValue, c.PValueComparator, c.Method, c.ParamType, c.Estimate, c.CiLower, c.CiUpper, c.GroupIds, c.CellsPerGroup)
                : null,
            // BIsBetter is not carried over: the domain label derives it from the direction and HigherIsBetter.
            Direction = new DirectionLabel(record.Label.Direction, record.Label.Basis, record.Label.StandardizedDifference,
                record.Label.HigherIsBetter, record.Label.BetterBasis, record.Label.Significant),
        });
    }

    private static PairSide ToSide(long pairId, string side, PairSideRecord s) => new()
    {
        TrialId = s.TrialId,
        Source = s.Source,
        SourceRecordId = s.SourceRecordId,
        Version = s.Version,
        // The pair's identity (its example ids in a dataset) is built on the stored trial version's row id.
        TrialRowId = s.TrialRowId ?? throw new FormatException($"pair {pairId}, side {side}: field 'trialRowId' is missing (a pair-miner older than this contract)"),
        GroupId = s.GroupId,
        Arm = s.Arm,
        ArmType = s.ArmType,
        Interventions = s.Interventions,
        ReceivesPlacebo = s.ReceivesPlacebo ?? false,
        Dose = s.Dose is { } d ? new Dose(d.Amount, d.Unit, d.Frequency, d.Route, d.Text, d.Provenance) : null,
        DosedIntervention = s.DosedIntervention,
        OutcomeId = s.OutcomeId,
        OutcomeTitle = s.OutcomeTitle,
        OutcomeKind = s.OutcomeKind,
        TimeFrame = s.TimeFrame,
        Unit = s.Unit,
        ParamType = s.ParamType,
        DispersionType = s.DispersionType,
        Class = s.Class,
        Category = s.Category,
        Value = s.Value,
        ValueText = s.ValueText,
        Spread = s.Spread,
        LowerLimit = s.LowerLimit,
        UpperLimit = s.UpperLimit,
        N = s.N,
    };
}
