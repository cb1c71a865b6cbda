using System.Globalization;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.Imagining;

/// <summary>
/// One step example taken from a mined pair: the state of the <see cref="From"/> side, the single perturbation that turns
/// it into the <see cref="To"/> side, and the observed result of <see cref="To"/> relative to <see cref="From"/>.
/// <see cref="Reversed"/> is false for A→B, true for B→A.
/// </summary>
public sealed record PairStep(
    CounterfactualPair Pair,
    bool Reversed,
    PairSide From,
    PairSide To,
    Trial? FromTrial,
    Trial? ToTrial,
    ResultState State,
    Perturbation Perturbation,
    ImaginedResult Observed)
{
    public string Factor => Perturbation.Factor;
    public string Orientation => Reversed ? "B->A" : "A->B";
    public StepPrompt Prompt => StepFormat.BuildPrompt(State, Perturbation);
}

/// <summary>
/// Maps mined counterfactual pairs to step examples. A pair gives steps only when it differs in exactly one factor (a
/// step changes one factor) and its two results are comparable (same measure basis); then both A→B and B→A are steps:
/// the observed direction flips, the log-ratio changes sign, significance stays. Population, geography and design
/// differences are described from the two trials, so those steps need <c>trialA</c> / <c>trialB</c>.
/// </summary>
public static class PairSteps
{
    public static IReadOnlyList<PairStep> FromPair(CounterfactualPair pair, Trial? trialA = null, Trial? trialB = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Factors.Count != 1 || pair.Direction.Direction == DirectionLabel.Incomparable) return [];
        var forward = Step(pair, reversed: false, trialA, trialB);
        if (forward is null) return [];
        var backward = Step(pair, reversed: true, trialA, trialB);
        return backward is null ? [forward] : [forward, backward];
    }

    /// <summary>Why <see cref="FromPair"/> gives no step for a pair (null when it gives some).</summary>
    public static string? WhyNoStep(CounterfactualPair pair, Trial? trialA = null, Trial? trialB = null)
    {
        if (pair.Factors.Count != 1) return $"differs in {pair.Factors.Count} factors ({string.Join(", ", pair.Factors)}); a step changes exactly one";
        if (pair.Direction.Direction == DirectionLabel.Incomparable) return $"results are not comparable ({pair.Direction.Basis})";
        if (FromPair(pair, trialA, trialB).Count == 0) return $"the {pair.Factors[0]} change cannot be described from the pair's data";
        return null;
    }

    private static PairStep? Step(CounterfactualPair pair, bool reversed, Trial? trialA, Trial? trialB)
    {
        var (from, to, fromTrial, toTrial) = reversed ? (pair.B, pair.A, trialB, trialA) : (pair.A, pair.B, trialA, trialB);
        var factor = pair.Factors[0];
        var fromText = Describe(factor, from, fromTrial);
        var toText = Describe(factor, to, toTrial);
        if (fromText is null || toText is null || string.Equals(fromText, toText, StringComparison.Ordinal)) return null;

        var direction = pair.Direction.Direction switch
        {
            DirectionLabel.Higher => reversed ? ResultDirection.Lower : ResultDirection.Higher,
            DirectionLabel.Lower => reversed ? ResultDirection.Higher : ResultDirection.Lower,
            _ => ResultDirection.Same,
        };
        var observed = ImaginedResult.Of(direction, LogRatio(from, to), pair.Direction.Significant);
        return new PairStep(pair, reversed, from, to, fromTrial, toTrial, State(from, fromTrial), new Perturbation(factor, fromText, toText) { Dose = DoseChangeOf(factor, from, to) }, observed);
    }

    /// <summary>
    /// The amounts of a dose step (0 for a side without active intervention, as <see cref="Describe"/> calls it placebo),
    /// or null: another factor, an amount not stated, or two different stated units (no units are converted; a side
    /// that states none, as clinDR's doses, is read in the other's).
    /// </summary>
    public static DoseChange? DoseChangeOf(string factor, PairSide from, PairSide to)
    {
        if (factor != Factors.Dose) return null;
        var (a, b) = (Amount(from), Amount(to));
        if (a is null || b is null) return null;
        var (unitA, unitB) = (from.Interventions.Count == 0 ? null : from.Dose?.Unit, to.Interventions.Count == 0 ? null : to.Dose?.Unit);
        if (unitA is not null && unitB is not null && !string.Equals(unitA.Trim(), unitB.Trim(), StringComparison.OrdinalIgnoreCase)) return null;
        return new DoseChange(a.Value, b.Value);

        static double? Amount(PairSide side) => side.Interventions.Count == 0 ? 0 : side.Dose?.Amount is { } x && double.IsFinite(x) && x >= 0 ? x : null;
    }

    /// <summary>The state of one side alone: its arm, value, spread and N on its endpoint.</summary>
    public static ResultState State(PairSide side, Trial? trial = null) => new()
    {
        OutcomeMeasure = MeasureText(side),
        TimeFrame = side.TimeFrame,
        Unit = side.Unit,
        ParamType = side.ParamType,
        Arm = new ArmResult
        {
            Label = side.Arm,
            Interventions = side.Interventions,
            Dose = side.Dose?.Text,
            ValueText = side.ValueText,
            // An interval, where reported, is the spread; a separate spread value next to it would repeat it.
            SpreadText = side.Spread is { } s && side.LowerLimit is null && side.UpperLimit is null ? Number(s) : null,
            SpreadType = side.DispersionType,
            LowerLimitText = side.LowerLimit is { } lo ? Number(lo) : null,
            UpperLimitText = side.UpperLimit is { } hi ? Number(hi) : null,
            N = side.N,
        },
        HigherIsBetter = DirectionLabeler.HigherIsBetter(side.OutcomeTitle, side.Unit).HigherIsBetter,
        Conditions = trial?.Conditions ?? [],
    };

    /// <summary>
    /// ln(to / from): of the proportions of N for participant counts, of the values when both are positive; else
    /// unknown (a change from baseline or a zero has no meaningful ratio).
    /// </summary>
    public static double? LogRatio(PairSide from, PairSide to)
    {
        double x = from.Value, y = to.Value;
        if (IsCount(from) && IsCount(to))
        {
            if (from.N is not > 0 || to.N is not > 0) return null;
            x /= from.N.Value;
            y /= to.N.Value;
        }
        if (x <= 0 || y <= 0 || !double.IsFinite(x) || !double.IsFinite(y)) return null;
        return StepAnswer.RoundLogRatio(Math.Log(y / x));
    }

    public static bool IsCount(PairSide side) =>
        side.ParamType is "COUNT_OF_PARTICIPANTS" || (side.ParamType is "NUMBER" && side.Unit is { } u && u.Equals("participants", StringComparison.OrdinalIgnoreCase));

    /// <summary>The measure with the cell it was read from (class / category), as the record names them.</summary>
    public static string MeasureText(PairSide side)
    {
        var cell = string.Join(" / ", new[] { side.Class, side.Category }.Where(c => !string.IsNullOrWhiteSpace(c)));
        return cell.Length == 0 ? side.OutcomeTitle : $"{side.OutcomeTitle} ({cell})";
    }

    /// <summary>How a side reads for one factor, or null when its data cannot say it.</summary>
    public static string? Describe(string factor, PairSide side, Trial? trial) => factor switch
    {
        Factors.Dose => side.Dose?.Text is { Length: > 0 } dose
            ? (side.Interventions.Count > 0 && !side.Interventions.Any(i => dose.Contains(i, StringComparison.OrdinalIgnoreCase))
                ? $"{string.Join("; ", side.Interventions)} {dose}" : dose)
            : side.Interventions.Count == 0 ? "placebo (no active dose)" : null,
        Factors.Arm => ArmText(side),
        Factors.Outcome => side.TimeFrame is { Length: > 0 } tf ? $"{MeasureText(side)}, time frame {tf}" : MeasureText(side),
        Factors.Population => trial is null ? null : NullIfEmpty(PopulationText(trial)),
        Factors.Geography => trial is null || trial.Countries.Count == 0 ? null : string.Join(", ", trial.Countries),
        Factors.Design => trial is null ? null : NullIfEmpty(DesignText(trial)),
        _ => null,
    };

    private static string ArmText(PairSide side)
    {
        var interventions = side.Interventions.Count > 0 ? string.Join("; ", side.Interventions) : "placebo or no intervention";
        var dose = side.Dose?.Text is { Length: > 0 } d ? $", {d}" : "";
        return $"{side.Arm} ({interventions}{dose})";
    }

    public static string PopulationText(Trial trial)
    {
        var e = trial.Eligibility;
        var parts = new List<string>();
        if (e.Sex is { } sex) parts.Add($"sex {sex}");
        if (e.MinimumAge is not null || e.MaximumAge is not null) parts.Add($"age {e.MinimumAge?.Text ?? "no minimum"} to {e.MaximumAge?.Text ?? "no maximum"}");
        if (e.HealthyVolunteers is { } healthy) parts.Add(healthy ? "healthy volunteers accepted" : "patients only");
        if (trial.Conditions.Count > 0) parts.Add("conditions " + string.Join("; ", trial.Conditions));
        return string.Join(", ", parts);
    }

    public static string DesignText(Trial trial)
    {
        var parts = new List<string>();
        if (trial.Phases.Count > 0) parts.Add("phase " + string.Join("/", trial.Phases));
        if (trial.Design.Allocation is { } allocation) parts.Add($"allocation {allocation}");
        if (trial.Design.Masking is { } masking) parts.Add($"masking {masking}");
        if (trial.Enrollment is { } enrollment) parts.Add("enrollment " + enrollment.ToString(CultureInfo.InvariantCulture));
        return string.Join(", ", parts);
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
