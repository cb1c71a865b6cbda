using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepImagine.Contracts.V1;

/// <summary>How many pairs of one kind (natural / approximate) differ in one factor.</summary>
public sealed record PairCount(string Kind, string Factor, int Count);

/// <summary>
/// pair-miner mined a stored trial: <paramref name="Counts"/> are all pairs that involve this trial version, by kind and
/// factor; <paramref name="NewPairs"/> how many of them this mining added (0 on a redelivery) and
/// <paramref name="NewPairIds"/> their ids, so a consumer fetches exactly those from pair-miner's read API
/// (<c>GET /api/pairs?ids=…</c>) as <see cref="PairRecord"/>s.
/// </summary>
public sealed record PairsMined(
    string TrialId,
    string SourceName,
    string SourceRecordId,
    int Version,
    IReadOnlyList<PairCount> Counts,
    int NewPairs,
    Guid CorrelationId,
    IReadOnlyList<long> NewPairIds);

/// <summary>
/// Command to pair-miner: forget every pair and mine every stored trial (latest versions) again, after the miner changed.
/// pair-miner answers <see cref="RemineTrialsAccepted"/> and then announces each re-mined trial as <see cref="PairsMined"/>
/// with this <paramref name="CorrelationId"/>.
/// </summary>
public sealed record RemineTrials(Guid CorrelationId);

/// <summary>pair-miner dropped the pairs and queued <paramref name="Trials"/> trials for mining.</summary>
public sealed record RemineTrialsAccepted(Guid CorrelationId, int Trials);

/// <summary>
/// One counterfactual pair as pair-miner serves it (<c>GET /api/pairs</c>) and as <c>deepimagine pairs export</c> writes it,
/// one JSON object per line (see docs/pair-contract.md). <see cref="SchemaVersion"/> is <see cref="CurrentSchemaVersion"/>;
/// a reader refuses any other version.
/// </summary>
public sealed record PairRecord(
    int SchemaVersion,
    long Id,
    string Kind,
    IReadOnlyList<string> Factors,
    string Relation,
    double Similarity,
    PairSideRecord A,
    PairSideRecord B,
    PairComparisonRecord? Comparison,
    PairLabelRecord Label)
{
    public const int CurrentSchemaVersion = 1;
}

/// <summary>
/// One observed result: a trial version's arm (results group) on one outcome measure cell. The last three fields were
/// added within schema version 1 (an addition is not a new version): always written, read as null from older lines.
/// <paramref name="TrialRowId"/> is pair-miner's id of the stored trial version (the pair's identity is built on it),
/// <paramref name="ReceivesPlacebo"/> whether the arm lists a placebo, <paramref name="DosedIntervention"/> the
/// intervention (name key) <paramref name="Dose"/> is a dose of.
/// </summary>
public sealed record PairSideRecord(
    string TrialId,
    string Source,
    string SourceRecordId,
    int Version,
    string GroupId,
    string Arm,
    string? ArmType,
    IReadOnlyList<string> Interventions,
    DoseRecord? Dose,
    string OutcomeId,
    string OutcomeTitle,
    string? OutcomeKind,
    string? TimeFrame,
    string? Unit,
    string? ParamType,
    string? DispersionType,
    string? Class,
    string? Category,
    double Value,
    string ValueText,
    double? Spread,
    double? LowerLimit,
    double? UpperLimit,
    int? N,
    long? TrialRowId = null,
    bool? ReceivesPlacebo = null,
    string? DosedIntervention = null);

/// <summary>
/// A dose as reported: amount and unit only where stated; <paramref name="Text"/> is the words it was read from and
/// <paramref name="Provenance"/> where those words stand (group_title, arm_label, dose_table, …; added within version 1).
/// </summary>
public sealed record DoseRecord(double? Amount, string? Unit, string? Frequency, string? Route, string Text, string? Provenance = null);

/// <summary>
/// The reported statistical analysis comparing exactly the two sides' groups: <paramref name="GroupIds"/> the groups it
/// names, <paramref name="CellsPerGroup"/> the measure's cells per group (both added within version 1).
/// </summary>
public sealed record PairComparisonRecord(string? PValueText, double? PValue, string? PValueComparator, string? Method,
    string? ParamType, double? Estimate, double? CiLower, double? CiUpper, IReadOnlyList<string>? GroupIds = null, int? CellsPerGroup = null);

/// <summary>
/// How B's result relates to A's: <paramref name="Direction"/> is higher, lower, same or incomparable;
/// <paramref name="HigherIsBetter"/> and <paramref name="BIsBetter"/> only where the measure says which way is better.
/// </summary>
public sealed record PairLabelRecord(string Direction, string Basis, double? StandardizedDifference, bool? HigherIsBetter,
    string? BetterBasis, bool? Significant, bool? BIsBetter);

/// <summary>One page of pairs in id order; <paramref name="Next"/> is the <c>after</c> cursor of the next page, null at the end.</summary>
public sealed record PairPage(IReadOnlyList<PairRecord> Pairs, long? Next);

/// <summary>A page of stored trial ids (latest versions) in id order, from pair-miner's <c>GET /api/trials</c>; <see cref="Next"/> is the cursor of the next page, null after the last.</summary>
public sealed record TrialIdPage(IReadOnlyList<string> TrialIds, string? Next);

/// <summary>Stored trials (latest versions) of one source.</summary>
public sealed record TrialSourceCount(string Source, long Records, long WithResults);

/// <summary>
/// The JSON the contracts are written in over HTTP and in exports: camelCase, enums as names, every field written (null
/// included) and required when read, so a record that lacks a field or has null where the contract forbids it is refused.
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Reads one exported line, refusing a record of another schema version or one that lacks a required field.</summary>
    public static PairRecord ReadPair(string line, int lineNumber)
    {
        PairRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<PairRecord>(line, Options);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"line {lineNumber}: not a pair record: {ex.Message}", ex);
        }
        if (record is null) throw new FormatException($"line {lineNumber}: empty pair record");
        if (record.SchemaVersion != PairRecord.CurrentSchemaVersion)
            throw new FormatException($"line {lineNumber} (pair {record.Id}): field 'schemaVersion' is {record.SchemaVersion}, this reader reads {PairRecord.CurrentSchemaVersion}");
        return record;
    }
}

/// <summary>
/// Request to pair-miner: remove every stored trial (all versions, and their pairs) of a synthetic source. Benchmarks
/// clean up so; pair-miner refuses any source not named <c>bench-…</c>, so real records cannot be removed this way.
/// </summary>
public sealed record DeleteSyntheticSource(string Source)
{
    public const string Prefix = "bench-";
}

/// <summary>pair-miner removed <paramref name="Trials"/> stored trial versions of the source.</summary>
public sealed record SyntheticSourceDeleted(string Source, int Trials);
