
namespace DeepImagine.Trials;

/// <summary>
/// One clinical trial in the platform's normalized form, whatever format it arrived in.
/// Everything a later stage reasons over (arms, doses, outcome measures, measurements, analyses)
/// keeps the reported text next to the parsed value, so nothing is guessed and everything is traceable.
/// </summary>
public sealed record Trial
{
    /// <summary>Registry id (NCT number) or, for dose-group tables, the protocol id.</summary>
    public required string TrialId { get; init; }
    public required string Source { get; init; }
    public required string SourceRecordId { get; init; }
    public required RecordFormat Format { get; init; }
    /// <summary>ClinicalTrials.gov id when the record names one (dose-group tables may).</summary>
    public string? NctId { get; init; }
    public string? Title { get; init; }
    public string? OfficialTitle { get; init; }
    public string? StudyType { get; init; }
    public string? OverallStatus { get; init; }
    /// <summary>Normalized phases: EARLY_PHASE1, PHASE1 … PHASE4; empty when not applicable.</summary>
    public IReadOnlyList<string> Phases { get; init; } = [];
    public IReadOnlyList<string> Conditions { get; init; } = [];
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public StudyDesign Design { get; init; } = new();
    public int? Enrollment { get; init; }
    public string? EnrollmentType { get; init; }
    /// <summary>ISO date, possibly partial (yyyy-MM or yyyy-MM-dd).</summary>
    public string? StartDate { get; init; }
    public string? CompletionDate { get; init; }
    public IReadOnlyList<string> Countries { get; init; } = [];
    public Eligibility Eligibility { get; init; } = new();
    public IReadOnlyList<Intervention> Interventions { get; init; } = [];
    public IReadOnlyList<Arm> Arms { get; init; } = [];
    /// <summary>Result outcome measures when results are posted, else the registered ones (without measurements).</summary>
    public IReadOnlyList<OutcomeMeasure> Outcomes { get; init; } = [];

    /// <summary>The record has a results section (it may still hold no measurement).</summary>
    public bool ResultsPosted { get; init; }

    /// <summary>At least one outcome measurement is reported.</summary>
    public bool HasResults => Outcomes.Any(o => o.Measurements.Count > 0);
}

public sealed record StudyDesign
{
    public string? Allocation { get; init; }
    public string? InterventionModel { get; init; }
    public string? PrimaryPurpose { get; init; }
    public string? Masking { get; init; }
}

public sealed record Eligibility
{
    /// <summary>ALL, MALE or FEMALE.</summary>
    public string? Sex { get; init; }
    public AgeLimit? MinimumAge { get; init; }
    public AgeLimit? MaximumAge { get; init; }
    public bool? HealthyVolunteers { get; init; }
    public string? Criteria { get; init; }
}

/// <summary>An age bound as written ("18 Years") and in years where the unit is known.</summary>
public sealed record AgeLimit(string Text, double? Years);

public sealed record Intervention
{
    public required string Name { get; init; }
    public string? Type { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<string> OtherNames { get; init; } = [];
    public IReadOnlyList<string> ArmLabels { get; init; } = [];
    public bool IsPlacebo { get; init; }
}

public sealed record Arm
{
    public required string Label { get; init; }
    /// <summary>EXPERIMENTAL, ACTIVE_COMPARATOR, PLACEBO_COMPARATOR, SHAM_COMPARATOR, NO_INTERVENTION, OTHER.</summary>
    public string? Type { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<ArmIntervention> Interventions { get; init; } = [];
}

/// <summary>An intervention as given in one arm, with the dose stated for that arm.</summary>
public sealed record ArmIntervention
{
    public required string Name { get; init; }
    public string? Type { get; init; }
    public bool IsPlacebo { get; init; }
    public Dose? Dose { get; init; }
}

/// <summary>
/// A dose as the record states it. <see cref="Amount"/> is set only when the text names a number with a
/// unit (or the source is a numeric dose table); otherwise only <see cref="Text"/> is kept.
/// </summary>
public sealed record Dose(double? Amount, string? Unit, string? Frequency, string? Route, string Text, string? Provenance = null)
{
    public bool IsParsed => Amount is not null;
}

public sealed record OutcomeMeasure
{
    public required string Id { get; init; }
    /// <summary>PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED or POST_HOC.</summary>
    public string? Kind { get; init; }
    public required string Title { get; init; }
    public string? Description { get; init; }
    public string? TimeFrame { get; init; }
    public string? Unit { get; init; }
    /// <summary>MEAN, LEAST_SQUARES_MEAN, MEDIAN, NUMBER, COUNT_OF_PARTICIPANTS, …</summary>
    public string? ParamType { get; init; }
    public string? DispersionType { get; init; }
    public IReadOnlyList<ResultGroup> Groups { get; init; } = [];
    public IReadOnlyList<Measurement> Measurements { get; init; } = [];
    public IReadOnlyList<StatisticalAnalysis> Analyses { get; init; } = [];
}

/// <summary>
/// A results group; <see cref="ArmLabel"/> names the arm it reports on when the record shows it is one (see
/// <c>ArmMatching</c>); <see cref="NotAnArm"/> says why a group is not an arm (a total, a subgroup, a phase, …).
/// </summary>
public sealed record ResultGroup
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public string? Description { get; init; }
    public string? ArmLabel { get; init; }
    public string? NotAnArm { get; init; }
    /// <summary>The dose the group's own title states for its arm's intervention ("GSK189075 250 mg BID").</summary>
    public Dose? Dose { get; init; }
    public int? ParticipantsAnalyzed { get; init; }
}

public sealed record Measurement
{
    public required string GroupId { get; init; }
    public string? Class { get; init; }
    public string? Category { get; init; }
    public ReportedNumber? Value { get; init; }
    public ReportedNumber? Spread { get; init; }
    public ReportedNumber? LowerLimit { get; init; }
    public ReportedNumber? UpperLimit { get; init; }
    /// <summary>Participants behind this value: the group's analyzed count for the measure.</summary>
    public int? N { get; init; }
    public string? Comment { get; init; }
}

public sealed record StatisticalAnalysis
{
    public IReadOnlyList<string> GroupIds { get; init; } = [];
    public string? GroupsDescription { get; init; }
    /// <summary>The p-value with its comparator sign (e.g. "&lt;0.001" keeps Comparator "&lt;").</summary>
    public ReportedNumber? PValue { get; init; }
    public string? PValueComment { get; init; }
    public string? Method { get; init; }
    public string? ParamType { get; init; }
    public ReportedNumber? Estimate { get; init; }
    public ReportedNumber? CiPercent { get; init; }
    public string? CiSides { get; init; }
    public ReportedNumber? CiLower { get; init; }
    public ReportedNumber? CiUpper { get; init; }
    public string? NonInferiorityType { get; init; }
}

/// <summary>Arm types as the readers normalize them.</summary>
public static class ArmTypes
{
    public const string Experimental = "EXPERIMENTAL";
    public const string ActiveComparator = "ACTIVE_COMPARATOR";
    public const string PlaceboComparator = "PLACEBO_COMPARATOR";
    public const string ShamComparator = "SHAM_COMPARATOR";
    public const string NoIntervention = "NO_INTERVENTION";
    public const string Other = "OTHER";

    /// <summary>Arms whose type says they receive no active treatment: the comparators of *_vs_placebo pairs.</summary>
    public static bool IsPlaceboLike(string? type) => type is PlaceboComparator or ShamComparator or NoIntervention;
}

/// <summary>Outcome measure kinds as the readers normalize them.</summary>
public static class OutcomeKinds
{
    public const string Primary = "PRIMARY";
    public const string Secondary = "SECONDARY";
    public const string OtherPreSpecified = "OTHER_PRE_SPECIFIED";
    public const string PostHoc = "POST_HOC";
}

/// <summary>Where a dose was read from: only an arm's own words (or a dose table) give a dose.</summary>
public static class DoseProvenance
{
    public const string GroupTitle = "group_title";
    public const string GroupDescription = "group_description";
    public const string ArmLabel = "arm_label";
    public const string ArmDescription = "arm_description";
    public const string InterventionDescription = "intervention_description";
    public const string DoseTable = "dose_table";
}
