using System.Globalization;
using System.Text;
using DeepImagine.Pairs;

namespace DeepImagine.Imagining;

/// <summary>
/// Builds the prompt of one local imagination step: the current result state and exactly one perturbation. The only
/// place the step's wording lives; change it only together with <see cref="TemplateVersion"/>.
/// </summary>
public static class StepFormat
{
    /// <summary>
    /// Version of the prompt and answer wording; stored with every example and model so they cannot drift apart.
    /// 2: a current value may be "not given" (a question whose state is unknown, such as Evidence Inference's), and the
    /// system text says how to answer then.
    /// 3: a dose step states its dose change ("4 times the current dose (a higher dose)", "from an active dose to no
    /// active dose") where both amounts are known in one unit.
    /// </summary>
    public const int TemplateVersion = 3;

    /// <summary>How an arm's value is written when the state does not give it.</summary>
    public const string ValueNotGiven = "not given";

    public const string SystemText =
        "You imagine how one clinical-trial result changes when exactly one factor of the trial changes. " +
        "Reason briefly and only from the facts given, then end with exactly one line:\n" +
        "RESULT: direction=<higher|lower|same> log_ratio=<x|unknown> significant=<yes|no|unknown>\n" +
        "direction: the changed result's value relative to the current one (same = within the reported spread); " +
        "log_ratio: natural logarithm of changed value / current value, or unknown; " +
        "significant: whether the two results differ significantly. " +
        "When a value is not given, infer the change from the interventions, the comparator and the outcome.";

    public static StepPrompt BuildPrompt(ResultState state, Perturbation perturbation)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(perturbation);
        Validate(state, perturbation);

        var text = new StringBuilder();
        text.Append("Current result\n");
        text.Append("- Outcome measure: ").Append(state.OutcomeMeasure).Append('\n');
        Line(text, "Time frame", state.TimeFrame);
        Line(text, "Unit", state.Unit);
        Line(text, "Statistic", state.ParamType);
        if (state.Conditions.Count > 0) Line(text, "Conditions", string.Join("; ", state.Conditions));
        if (state.HigherIsBetter is { } better) Line(text, "Better when", better ? "higher" : "lower");
        ArmLines(text, "Arm", state.Arm);
        if (state.Comparator is { } comparator)
        {
            ArmLines(text, "Comparator", comparator);
            if (state.DifferenceDirection != ResultDirection.Unknown)
                Line(text, "Arm vs comparator", Word(state.DifferenceDirection));
            if (state.DifferenceSignificant is { } significant || state.PValueText is not null)
            {
                var words = state.DifferenceSignificant switch { true => "significant", false => "not significant", null => "significance not stated" };
                Line(text, "Difference", state.PValueText is null ? words : $"{words} (p {PValue(state.PValueText)})");
            }
        }
        else if (state.EndpointMet is { } met)
        {
            Line(text, "Endpoint met", met ? "yes" : "no");
        }
        text.Append("Change (").Append(perturbation.Factor).Append(")\n");
        text.Append("- From: ").Append(perturbation.From).Append('\n');
        text.Append("- To: ").Append(perturbation.To).Append('\n');
        if (perturbation.Dose is { } dose) Line(text, "Dose change", dose.Describe());
        text.Append("How does the result change?");
        return new StepPrompt(SystemText, text.ToString(), TemplateVersion);
    }

    /// <summary>The word a direction is written with in prompts and RESULT lines.</summary>
    public static string Word(ResultDirection direction) => direction switch
    {
        ResultDirection.Higher => "higher",
        ResultDirection.Lower => "lower",
        ResultDirection.Same => "same",
        _ => "unknown",
    };

    private static void Validate(ResultState state, Perturbation perturbation)
    {
        if (!Factors.All.Contains(perturbation.Factor))
            throw new ArgumentException($"perturbation.Factor '{perturbation.Factor}' is not one of {string.Join(", ", Factors.All)}", nameof(perturbation));
        if (string.IsNullOrWhiteSpace(perturbation.From))
            throw new ArgumentException($"perturbation.From is empty (factor {perturbation.Factor})", nameof(perturbation));
        if (string.IsNullOrWhiteSpace(perturbation.To))
            throw new ArgumentException($"perturbation.To is empty (factor {perturbation.Factor})", nameof(perturbation));
        if (string.Equals(perturbation.From.Trim(), perturbation.To.Trim(), StringComparison.Ordinal))
            throw new ArgumentException($"perturbation changes nothing: From and To are both '{perturbation.From}' (factor {perturbation.Factor})", nameof(perturbation));
        if (string.IsNullOrWhiteSpace(state.OutcomeMeasure))
            throw new ArgumentException("state.OutcomeMeasure is empty", nameof(state));
        // Null means not given (written so); an empty text is a caller's mistake.
        if (state.Arm.ValueText is not null && string.IsNullOrWhiteSpace(state.Arm.ValueText))
            throw new ArgumentException($"state.Arm.ValueText is empty (arm '{state.Arm.Label}')", nameof(state));
    }

    private static void ArmLines(StringBuilder text, string role, ArmResult arm)
    {
        text.Append("- ").Append(role).Append(": ").Append(arm.Label).Append('\n');
        if (arm.Interventions.Count > 0) Line(text, $"{role} interventions", string.Join("; ", arm.Interventions), indent: "  ");
        else Line(text, $"{role} interventions", "none (placebo or no intervention)", indent: "  ");
        Line(text, $"{role} dose", arm.Dose, indent: "  ");
        var value = new StringBuilder(arm.ValueText ?? ValueNotGiven);
        var details = new List<string>();
        if (arm.SpreadText is not null) details.Add(arm.SpreadType is null ? $"spread {arm.SpreadText}" : $"{Lower(arm.SpreadType)} {arm.SpreadText}");
        if (arm.LowerLimitText is not null || arm.UpperLimitText is not null)
            details.Add($"{(arm.SpreadText is null && arm.SpreadType is not null ? Lower(arm.SpreadType) : "interval")} {arm.LowerLimitText ?? "?"} to {arm.UpperLimitText ?? "?"}");
        if (arm.N is { } n) details.Add("N=" + n.ToString(CultureInfo.InvariantCulture));
        if (details.Count > 0) value.Append(" (").Append(string.Join(", ", details)).Append(')');
        Line(text, $"{role} value", value.ToString(), indent: "  ");
    }

    private static string Lower(string kind) => kind.Replace('_', ' ').ToLowerInvariant();

    private static string PValue(string text) => text.TrimStart().StartsWith('<') || text.TrimStart().StartsWith('>') || text.TrimStart().StartsWith('=') ? text.Trim() : "= " + text.Trim();

    private static void Line(StringBuilder text, string name, string? value, string indent = "")
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        text.Append(indent).Append("- ").Append(name).Append(": ").Append(value).Append('\n');
    }
}
