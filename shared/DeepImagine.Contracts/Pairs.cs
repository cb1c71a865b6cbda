namespace DeepImagine.Contracts.V1;

/// <summary>How many pairs of one kind (natural / approximate) differ in one factor.</summary>
public sealed record PairCount(string Kind, string Factor, int Count);

/// <summary>
/// pair-miner mined a stored trial: <paramref name="Counts"/> are all pairs that involve this trial version, by kind and
/// factor; <paramref name="NewPairs"/> how many of them this mining added (0 on a redelivery).
/// </summary>
public sealed record PairsMined(
    string TrialId,
    string SourceName,
    string SourceRecordId,
    int Version,
    IReadOnlyList<PairCount> Counts,
    int NewPairs,
    Guid CorrelationId);
