using System.Security.Cryptography;
using System.Text;
using DeepImagine.Trials;

namespace DeepImagine.Pairs;

public static class PairKinds
{
    /// <summary>Both sides from one trial.</summary>
    public const string Natural = "natural";
    /// <summary>Sides from two similar trials.</summary>
    public const string Approximate = "approximate";
}

/// <summary>
/// What a pair's sides differ in, finer than the factor. Natural arm pairs: <see cref="DrugVsPlacebo"/> and
/// <see cref="DrugVsNoIntervention"/> (A is a placebo / sham / no-intervention arm by type, or receives only placebo),
/// <see cref="DoseRanging"/> (the same interventions at two parsed, different doses of one of them),
/// <see cref="DoseVsPlacebo"/> (dose tables: A is the zero dose), <see cref="DrugVsActive"/>, <see cref="DifferentInterventions"/>.
/// Natural outcome pairs: <see cref="TimeFrame"/>, <see cref="OtherMeasure"/>. Approximate pairs:
/// <see cref="SharedIntervention"/>, <see cref="SharedCondition"/>.
/// </summary>
public static class PairRelations
{
    public const string DrugVsPlacebo = "drug_vs_placebo";
    public const string DrugVsNoIntervention = "drug_vs_no_intervention";
    public const string DoseRanging = "dose_ranging";
    public const string DoseVsPlacebo = "dose_vs_placebo";
    public const string DrugVsActive = "drug_vs_active";
    public const string DifferentInterventions = "different_interventions";
    public const string TimeFrame = "time_frame";
    public const string OtherMeasure = "other_measure";
    public const string SharedIntervention = "shared_intervention";
    public const string SharedCondition = "shared_condition";

    /// <summary>Relations whose side A must be a placebo-like anchor.</summary>
    public static bool NeedsPlaceboAnchor(string relation) => relation is DrugVsPlacebo or DrugVsNoIntervention or DoseVsPlacebo;
}

/// <summary>The experimental factors a pair can differ in (see DESIGN.md, "Factors").</summary>
public static class Factors
{
    public const string Dose = "dose";
    public const string Arm = "arm";
    public const string Outcome = "outcome";
    public const string Population = "population";
    public const string Geography = "geography";
    public const string Design = "design";

    public static readonly IReadOnlyList<string> All = [Dose, Arm, Outcome, Population, Geography, Design];
}

/// <summary>The stored trial version a side comes from.</summary>
public sealed record TrialRef(long RowId, string TrialId, string Source, string SourceRecordId, int Version);

/// <summary>One observed result: a trial's arm (results group) on one outcome measure cell.</summary>
public sealed record PairSide
{
    public required string TrialId { get; init; }
    public required string Source { get; init; }
    public required string SourceRecordId { get; init; }
    public required int Version { get; init; }
    public required long TrialRowId { get; init; }
    public required string GroupId { get; init; }
    /// <summary>The arm's label, or the results group's title when no arm matches it.</summary>
    public required string Arm { get; init; }
    public string? ArmType { get; init; }
    /// <summary>Non-placebo interventions given in the arm (empty for placebo / no intervention).</summary>
    public IReadOnlyList<string> Interventions { get; init; } = [];
    /// <summary>The arm lists a placebo intervention.</summary>
    public bool ReceivesPlacebo { get; init; }
    /// <summary>The dose of <see cref="DosedIntervention"/>, read from the arm's own words (its provenance says which).</summary>
    public Dose? Dose { get; init; }
    /// <summary>The intervention (name key) <see cref="Dose"/> is a dose of.</summary>
    public string? DosedIntervention { get; init; }
    public required string OutcomeId { get; init; }
    public required string OutcomeTitle { get; init; }
    public string? OutcomeKind { get; init; }
    public string? TimeFrame { get; init; }
    public string? Unit { get; init; }
    public string? ParamType { get; init; }
    public string? DispersionType { get; init; }
    public string? Class { get; init; }
    public string? Category { get; init; }
    public required double Value { get; init; }
    public required string ValueText { get; init; }
    public double? Spread { get; init; }
    public double? LowerLimit { get; init; }
    public double? UpperLimit { get; init; }
    public int? N { get; init; }
}

/// <summary>
/// The reported statistical analysis comparing exactly the two sides' groups (<see cref="GroupIds"/>), attached only
/// where the measure has one cell per group (<see cref="CellsPerGroup"/> = 1): an analysis does not say which class,
/// category or time point it is about.
/// </summary>
public sealed record PairComparison(string? PValueText, double? PValue, string? PValueComparator, string? Method,
    string? ParamType, double? Estimate, double? CiLower, double? CiUpper, IReadOnlyList<string>? GroupIds = null, int? CellsPerGroup = null);

/// <summary>
/// How side B's result relates to side A's: <see cref="Direction"/> is higher / lower / same (same = the difference lies
/// within the reported spread), unknown (no spread to judge by: ranges, IQRs, nothing), incomparable (different measures); <see cref="HigherIsBetter"/> is set only where the measure says so (<see cref="BetterBasis"/>
/// names the words it says it with); <see cref="Significant"/> comes from a reported p-value.
/// </summary>
public sealed record DirectionLabel(string Direction, string Basis, double? StandardizedDifference, bool? HigherIsBetter, string? BetterBasis, bool? Significant)
{
    public const string Higher = "higher";
    public const string Lower = "lower";
    public const string Same = "same";
    public const string Incomparable = "incomparable";
    public const string Unknown = "unknown";

    /// <summary>Whether side B is the better result, where the measure says which way is better.</summary>
    public bool? BIsBetter => HigherIsBetter is null || Direction is Same or Incomparable or Unknown ? null : (Direction == Higher) == HigherIsBetter;
}

/// <summary>Two observed results that differ in the named factors: the unit of training data.</summary>
public sealed record CounterfactualPair
{
    public required string Kind { get; init; }
    public required IReadOnlyList<string> Factors { get; init; }
    /// <summary>Finer description of the difference: drug_vs_placebo, dose_ranging, time_frame, other_measure, …</summary>
    public required string Relation { get; init; }
    public required PairSide A { get; init; }
    public required PairSide B { get; init; }
    public PairComparison? Comparison { get; init; }
    public required DirectionLabel Direction { get; init; }
    public double Similarity { get; init; }

    /// <summary>Identity: the same two cells of the same trial versions give the same key, whoever mines them.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f',
        Kind, A.TrialRowId, A.GroupId, A.OutcomeId, A.Class, A.Category, B.TrialRowId, B.GroupId, B.OutcomeId, B.Class, B.Category))))[..32];
}
