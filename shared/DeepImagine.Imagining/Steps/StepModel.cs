namespace DeepImagine.Imagining;

/// <summary>Which way the changed result lies relative to the current one.</summary>
public enum ResultDirection
{
    Unknown = 0,
    Higher,
    Lower,
    Same,
}

/// <summary>One arm's observed result on the state's endpoint, with the reported text kept as the record states it.</summary>
public sealed record ArmResult
{
    /// <summary>The arm's label (or results group title).</summary>
    public required string Label { get; init; }
    /// <summary>Non-placebo interventions given in the arm; empty for placebo / no intervention.</summary>
    public IReadOnlyList<string> Interventions { get; init; } = [];
    /// <summary>The dose as written, when the record states one.</summary>
    public string? Dose { get; init; }
    /// <summary>The value as reported (e.g. "-1.25"); null when the state does not give it (the prompt says "not given").</summary>
    public string? ValueText { get; init; }
    /// <summary>Spread as reported, with its kind (STANDARD_DEVIATION, STANDARD_ERROR, …).</summary>
    public string? SpreadText { get; init; }
    public string? SpreadType { get; init; }
    /// <summary>Interval limits as reported (confidence interval, inter-quartile range, …).</summary>
    public string? LowerLimitText { get; init; }
    public string? UpperLimitText { get; init; }
    public int? N { get; init; }
}

/// <summary>
/// The current result state of one imagination step: one arm on one endpoint, either alone (single arm: the value and,
/// when known, whether the endpoint was met) or compared with a comparator arm (direction and significance of the
/// difference of <see cref="Arm"/> relative to <see cref="Comparator"/>).
/// </summary>
public sealed record ResultState
{
    public required string OutcomeMeasure { get; init; }
    public string? TimeFrame { get; init; }
    public string? Unit { get; init; }
    /// <summary>MEAN, MEDIAN, COUNT_OF_PARTICIPANTS, …</summary>
    public string? ParamType { get; init; }
    public required ArmResult Arm { get; init; }
    public ArmResult? Comparator { get; init; }
    /// <summary>Arm relative to comparator (only with a comparator).</summary>
    public ResultDirection DifferenceDirection { get; init; } = ResultDirection.Unknown;
    public bool? DifferenceSignificant { get; init; }
    /// <summary>The reported p-value of the difference, as written (e.g. "&lt;0.001").</summary>
    public string? PValueText { get; init; }
    /// <summary>Single arm: whether the endpoint was met, when the record says so.</summary>
    public bool? EndpointMet { get; init; }
    /// <summary>Whether a higher value is the better result, where the measure's own words say so.</summary>
    public bool? HigherIsBetter { get; init; }
    /// <summary>Conditions studied, as registered (context for the model; may be empty).</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];
}

/// <summary>Exactly one changed factor (<see cref="Pairs.Factors"/>: dose, arm, outcome, population, geography, design), from → to.</summary>
public sealed record Perturbation(string Factor, string From, string To)
{
    /// <summary>A dose step's amounts, where both sides state one in the same unit (null otherwise, and for other factors).</summary>
    public DoseChange? Dose { get; init; }
}

/// <summary>
/// The amounts of a dose step in one unit, 0 for no active dose (placebo). The prompt states which way the dose moves
/// and by how much, so a small model need not compare the numbers inside two dose texts itself.
/// </summary>
public sealed record DoseChange(double From, double To)
{
    public string Describe() => (From, To) switch
    {
        (0, 0) => "no active dose on either side",
        (0, _) => "from no active dose to an active dose (a higher dose)",
        (_, 0) => "from an active dose to no active dose (a lower dose)",
        _ when To > From => $"{Ratio} times the current dose (a higher dose)",
        _ when To < From => $"{Ratio} times the current dose (a lower dose)",
        _ => "the same amount (another form or schedule)",
    };

    private string Ratio => (To / From).ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The chat prompt of one step: system and user text, and the template version that built them.</summary>
public sealed record StepPrompt(string System, string User, int TemplateVersion);

/// <summary>
/// The machine-readable answer of one step (the final <c>RESULT:</c> line). A malformed answer is a value too:
/// <see cref="IsParseable"/> false, <see cref="Direction"/> Unknown and <see cref="Error"/> saying what was wrong.
/// </summary>
public sealed record ImaginedResult(bool IsParseable, ResultDirection Direction, double? LogRatio, bool? Significant, string? Error = null)
{
    public static ImaginedResult Of(ResultDirection direction, double? logRatio, bool? significant) => new(true, direction, logRatio, significant);

    public static ImaginedResult Unparseable(string error) => new(false, ResultDirection.Unknown, null, null, error);
}
