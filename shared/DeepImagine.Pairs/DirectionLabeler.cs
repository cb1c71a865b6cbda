using System.Text.RegularExpressions;

namespace DeepImagine.Pairs;

/// <summary>Labels how side B's result relates to side A's.</summary>
public static partial class DirectionLabeler
{
    // Two-sided 95%: a difference smaller than 1.96 standard errors is "the same within the reported spread".
    private const double Z95 = 1.959964;

    public static DirectionLabel Label(PairSide a, PairSide b, PairComparison? comparison)
    {
        var (higherIsBetter, betterBasis) = HigherIsBetter(b.OutcomeTitle, b.Unit);
        if (a.OutcomeId != b.OutcomeId || a.TrialRowId != b.TrialRowId)
        {
            // Across measures the unit must agree for values to be compared at all.
            if (!SameUnit(a.Unit, b.Unit) || (HigherIsBetter(a.OutcomeTitle, a.Unit).HigherIsBetter != higherIsBetter))
                return new DirectionLabel(DirectionLabel.Incomparable, "different measures", null, null, null, Significant(comparison));
        }

        double valueA = a.Value, valueB = b.Value;
        double? seA = StandardError(a), seB = StandardError(b);
        var basis = "spread";
        if (IsCount(a) && IsCount(b) && a.N > 0 && b.N > 0)
        {
            // Counts of participants compare as proportions of each group's N.
            valueA = a.Value / a.N.Value;
            valueB = b.Value / b.N.Value;
            seA = Math.Sqrt(Math.Max(valueA * (1 - valueA), 0.25 / a.N.Value) / a.N.Value);
            seB = Math.Sqrt(Math.Max(valueB * (1 - valueB), 0.25 / b.N.Value) / b.N.Value);
            basis = "proportion of N";
        }

        var difference = valueB - valueA;
        double? z = seA is { } sa && seB is { } sb && sa + sb > 0 ? difference / Math.Sqrt(sa * sa + sb * sb) : null;
        string direction;
        if (z is { } zz)
        {
            direction = Math.Abs(zz) < Z95 ? DirectionLabel.Same : difference > 0 ? DirectionLabel.Higher : DirectionLabel.Lower;
        }
        else
        {
            basis = "values (no spread reported)";
            direction = difference == 0 ? DirectionLabel.Same : difference > 0 ? DirectionLabel.Higher : DirectionLabel.Lower;
        }
        return new DirectionLabel(direction, basis, z is { } s ? Math.Round(s, 4) : null, higherIsBetter, betterBasis, Significant(comparison));
    }

    /// <summary>A reported p-value below 0.05 is significant; one at or above it (or stated as &gt;) is not.</summary>
    public static bool? Significant(PairComparison? comparison)
    {
        if (comparison?.PValue is not { } p) return null;
        return comparison.PValueComparator switch
        {
            ">" or ">=" => p >= 0.05 ? false : null, // "p > 0.01" does not say which side of 0.05 it is
            "<" => p <= 0.05,
            _ => p < 0.05,
        };
    }

    /// <summary>The side's standard error from its spread (SE, SD with N) or its 95% interval.</summary>
    public static double? StandardError(PairSide side)
    {
        switch (side.DispersionType)
        {
            case "STANDARD_ERROR" when side.Spread is { } se:
                return se;
            case "STANDARD_DEVIATION" when side.Spread is { } sd && side.N is > 0:
                return sd / Math.Sqrt(side.N.Value);
        }
        if (side.LowerLimit is { } lo && side.UpperLimit is { } hi && hi >= lo && (side.DispersionType?.Contains("CONFIDENCE", StringComparison.Ordinal) ?? true))
            return (hi - lo) / (2 * Z95);
        return null;
    }

    private static bool IsCount(PairSide side) =>
        side.ParamType is "COUNT_OF_PARTICIPANTS" || (side.ParamType is "NUMBER" && side.Unit is { } u && u.Equals("participants", StringComparison.OrdinalIgnoreCase));

    private static bool SameUnit(string? a, string? b) =>
        string.Equals(Trials.Normalize.NameKey(a ?? ""), Trials.Normalize.NameKey(b ?? ""), StringComparison.Ordinal);

    /// <summary>
    /// Whether a higher value is the better result, as far as the measure's own words say (title, then unit).
    /// A measure of a reduction ("reduction in pain") is better when higher; a measure of harm (adverse events,
    /// mortality, pain, HbA1c, symptom scores) is better when lower; response, remission, survival, function scores
    /// are better when higher. Anything else: unknown (null).
    /// </summary>
    public static (bool? HigherIsBetter, string? Basis) HigherIsBetter(string title, string? unit)
    {
        var text = $"{title} {unit}".ToLowerInvariant();
        if (ReductionPattern().Match(text) is { Success: true } reduction) return (true, reduction.Value.Trim());
        if (HigherBetterPattern().Match(text) is { Success: true } higher) return (true, higher.Value.Trim());
        if (LowerBetterPattern().Match(text) is { Success: true } lower) return (false, lower.Value.Trim());
        return (null, null);
    }

    [GeneratedRegex(@"\b(?:percent(?:age)? )?(?:reduction|decrease|improvement|relief)s? (?:in|of|from)\b")]
    private static partial Regex ReductionPattern();

    [GeneratedRegex(@"\b(?:progression[- ]free|overall survival|survival rate|response rate|responders?\b|(?:complete|partial|objective|overall) response|remission|success(?:ful)?|cure[ds]?\b|healing|healed|quality of life|erectile function|iief|intercourse|satisfaction|acr ?(?:20|50|70)|pasi ?(?:50|75|90|100)|able to\b|flow rate|qmax|sexual encounter)")]
    private static partial Regex HigherBetterPattern();

    [GeneratedRegex(@"\b(?:adverse events?|side effects?|toxicit(?:y|ies)|mortality|deaths?\b|died|relapse|recurrence|disease progression|\bpain\b|hba1c|glycosylated|fasting (?:plasma )?glucose|blood pressure|symptom score|ipss|nocturia|incontinence|urgency|leak|hospitali[sz]ation|treatment failure|failure rate|discontinu|severity|disability|infection rate|residual urine|seizure frequency|exacerbation)")]
    private static partial Regex LowerBetterPattern();
}
