using System.Text.RegularExpressions;

namespace DeepImagine.Pairs;

/// <summary>Labels how side B's result relates to side A's.</summary>
public static partial class DirectionLabeler
{
    // Two-sided 95%: a difference smaller than 1.96 standard errors is "the same within the reported spread".
    private const double Z95 = 1.959964;

    public static DirectionLabel Label(PairSide a, PairSide b, PairComparison? comparison)
    {
        if (!SameMeasure(a, b))
            return new DirectionLabel(DirectionLabel.Incomparable, "different measures", null, null, null, Significant(comparison));
        var (higherIsBetter, betterBasis) = CellHigherIsBetter(b);
        if (CellHigherIsBetter(a).HigherIsBetter != higherIsBetter) (higherIsBetter, betterBasis) = (null, null);

        double valueA = a.Value, valueB = b.Value;
        double? seA, seB;
        string basis;
        if (IsProportionOfParticipants(a) && IsProportionOfParticipants(b))
        {
            // Counts and percentages of participants compare as proportions of each side's analysed N.
            var pa = Proportion(a);
            var pb = Proportion(b);
            if (pa is null || pb is null)
                return new DirectionLabel(DirectionLabel.Unknown, "proportion without its analysed N", null, higherIsBetter, betterBasis, Significant(comparison));
            (valueA, valueB) = (pa.Value, pb.Value);
            seA = Math.Sqrt(Math.Max(valueA * (1 - valueA), 0.25 / a.N!.Value) / a.N.Value);
            seB = Math.Sqrt(Math.Max(valueB * (1 - valueB), 0.25 / b.N!.Value) / b.N.Value);
            basis = "proportion of analysed N";
        }
        else
        {
            seA = StandardError(a);
            seB = StandardError(b);
            basis = "spread";
        }

        var difference = valueB - valueA;
        if (seA is { } sa && seB is { } sb && sa + sb > 0)
        {
            var z = difference / Math.Sqrt(sa * sa + sb * sb);
            var direction = Math.Abs(z) < Z95 ? DirectionLabel.Same : difference > 0 ? DirectionLabel.Higher : DirectionLabel.Lower;
            return new DirectionLabel(direction, basis, Math.Round(z, 4), higherIsBetter, betterBasis, Significant(comparison));
        }
        // Without a standard error (a range, an IQR, no spread) only equal values say anything.
        return difference == 0
            ? new DirectionLabel(DirectionLabel.Same, "equal values", null, higherIsBetter, betterBasis, Significant(comparison))
            : new DirectionLabel(DirectionLabel.Unknown, "no standard error from the reported spread", null, higherIsBetter, betterBasis, Significant(comparison));
    }

    /// <summary>
    /// Whether two cells report the same measure: the same outcome's cell (or the same title, unit and parameter across
    /// outcomes), the same category, and the same class unless both classes are time points.
    /// </summary>
    public static bool SameMeasure(PairSide a, PairSide b)
    {
        var sameOutcome = a.TrialRowId == b.TrialRowId && a.OutcomeId == b.OutcomeId;
        if (!sameOutcome && (Trials.Normalize.NameKey(a.OutcomeTitle) != Trials.Normalize.NameKey(b.OutcomeTitle)
                             || !SameUnit(a.Unit, b.Unit) || a.ParamType != b.ParamType))
            return false;
        var sameClass = a.Class == b.Class || (NaturalPairMiner.IsTimePoint(a.Class) && NaturalPairMiner.IsTimePoint(b.Class));
        var sameCategory = a.Category == b.Category || (NaturalPairMiner.IsTimePoint(a.Category) && NaturalPairMiner.IsTimePoint(b.Category));
        return sameClass && sameCategory;
    }

    /// <summary>A count or a percentage of participants: compared as a proportion of the analysed N.</summary>
    public static bool IsProportionOfParticipants(PairSide side) => IsCount(side) || IsPercentOfParticipants(side);

    /// <summary>The side's value as a proportion of its analysed N; null without N or outside [0, 1].</summary>
    public static double? Proportion(PairSide side)
    {
        if (side.N is not > 0) return null;
        var p = IsCount(side) ? side.Value / side.N.Value
            : side.Unit!.Trim().StartsWith("proportion", StringComparison.OrdinalIgnoreCase) ? side.Value : side.Value / 100;
        return p is >= 0 and <= 1 ? p : null;
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
        // Only a confidence interval gives a standard error; a range or an inter-quartile range does not.
        if (side.LowerLimit is { } lo && side.UpperLimit is { } hi && hi >= lo && (side.DispersionType?.Contains("CONFIDENCE", StringComparison.Ordinal) ?? false)
            && ConfidenceZ(side.DispersionType) is { } z)
            return (hi - lo) / (2 * z);
        return null;
    }

    /// <summary>The z of a two-sided interval of the level its dispersion type names ("90_CONFIDENCE_INTERVAL"); 95% when unnamed.</summary>
    private static double? ConfidenceZ(string? dispersionType)
    {
        var digits = new string((dispersionType ?? "").TakeWhile(char.IsDigit).ToArray());
        return digits switch
        {
            "" or "95" => Z95,
            "90" => 1.644854,
            "80" => 1.281552,
            "99" => 2.575829,
            _ => null, // an interval of another level: not converted
        };
    }

    private static bool IsCount(PairSide side) =>
        side.ParamType is "COUNT_OF_PARTICIPANTS" || (side.ParamType is "NUMBER" && side.Unit is { } u && ParticipantsUnitPattern().IsMatch(u.Trim()));

    private static bool IsPercentOfParticipants(PairSide side) =>
        side.ParamType is "NUMBER" or "COUNT_OF_PARTICIPANTS" && side.Unit is { } u && PercentOfParticipantsPattern().IsMatch(u.Trim());

    [GeneratedRegex(@"^(?:participants|patients|subjects|people|persons|women|men|children|infants)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ParticipantsUnitPattern();

    [GeneratedRegex(@"^(?:percent(?:age)?|%|proportion)s?(?: of)? (?:participants|patients|subjects|people|persons|women|men|children|infants)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PercentOfParticipantsPattern();

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
        if (TimeToHarmPattern().Match(text) is { Success: true } timeToHarm) return (true, timeToHarm.Value.Trim());
        if (UnsaidPattern().IsMatch(text)) return (null, null);
        if (ReductionPattern().Match(text) is { Success: true } reduction) return (true, reduction.Value.Trim());
        if (NegativeOutcomePattern().Match(text) is { Success: true } negative) return (false, negative.Value.Trim());
        if (HigherBetterPattern().Match(text) is { Success: true } higher) return (true, higher.Value.Trim());
        if (LowerBetterPattern().Match(text) is { Success: true } lower) return (false, lower.Value.Trim());
        return (null, null);
    }

    /// <summary>
    /// Which way is better for one cell: a category (or a class that is not a time point) speaks for itself
    /// ("Complete Response" higher, "Progressive Disease" / "Death" / "Non-responder" lower); "Not evaluable",
    /// "Unknown", "Other" say nothing; a negated category ("No improvement", "None") reverses the measure's way; "Yes",
    /// a category the title names, or any category of a harm measure (an adverse event type) keeps the measure's way;
    /// else the category does not say (null).
    /// </summary>
    public static (bool? HigherIsBetter, string? Basis) CellHigherIsBetter(PairSide side)
    {
        var measure = HigherIsBetter(side.OutcomeTitle, side.Unit);
        // A category (else a class that is not a time point) speaks for itself where its words say; a class is a row of
        // the measure (a subgroup, a lab value, an event type), so a class whose words say nothing keeps the measure's way.
        var isCategory = side.Category is { } c && !NaturalPairMiner.IsTimePoint(c);
        var label = isCategory ? side.Category : side.Class is { } k && !NaturalPairMiner.IsTimePoint(k) ? k : null;
        if (label is null) return measure;
        if (UnknownCategoryPattern().IsMatch(label)) return (null, null);
        var own = HigherIsBetter(label, null);
        // "Not worse": better when higher; "No improvement" under an improvement measure: better when lower;
        // "None" under adverse events: better when higher.
        // The negation must govern the words: "Not worse", "No improvement" — not "Death not attributed to the drug".
        if (NegatedCategoryPattern().Match(label) is { Success: true } negation
            && (own.Basis is null ? negation.Index == 0 : negation.Index < label.IndexOf(own.Basis, StringComparison.OrdinalIgnoreCase)))
        {
            var negated = own.HigherIsBetter is not null ? own : measure;
            return negated.HigherIsBetter is { } h ? (!h, $"not: {negated.Basis}") : (null, null);
        }
        if (own.HigherIsBetter is not null) return own;
        if (!isCategory) return measure;
        var namedInTitle = Trials.Normalize.NameKey(side.OutcomeTitle).Contains(Trials.Normalize.NameKey(label), StringComparison.Ordinal);
        if (AffirmedCategoryPattern().IsMatch(label.Trim()) || namedInTitle) return measure;
        return measure.HigherIsBetter == false && measure.Basis is { } basis && HarmPattern().IsMatch(basis) ? measure : (null, null);
    }

    [GeneratedRegex(@"evaluable|indeterminate|unknown|missing|not (?:assessed|done|available)|other", RegexOptions.IgnoreCase)]
    private static partial Regex UnknownCategoryPattern();

    // A longer time to a harmful event is better.
    [GeneratedRegex(@"\btime to (?:\w+ ){0,2}(?:progression|relapse|recurrence|death|failure|worsening|exacerbation)")]
    private static partial Regex TimeToHarmPattern();

    [GeneratedRegex(@"clinical global impression|\bcgi\b|global impression|\btime to\b", RegexOptions.IgnoreCase)]
    private static partial Regex UnsaidPattern();

    [GeneratedRegex(@"\b(?:non-?respon\w*|progressive disease|deaths?|died|failures?)\b")]
    private static partial Regex NegativeOutcomePattern();

    [GeneratedRegex(@"\b(?:no|none|not|without|absent|negative|grade\s*0)\b", RegexOptions.IgnoreCase)]
    private static partial Regex NegatedCategoryPattern();

    [GeneratedRegex(@"^(?:yes|present|positive|any|all)$", RegexOptions.IgnoreCase)]
    private static partial Regex AffirmedCategoryPattern();

    [GeneratedRegex(@"adverse|side effect|toxicit", RegexOptions.IgnoreCase)]
    private static partial Regex HarmPattern();

    [GeneratedRegex(@"\b(?:percent(?:age)? )?(?:reduction|decrease|improvement|relief)s? (?:in|of|from)\b|\bpercent(?:age)? reduction\s*$")]
    private static partial Regex ReductionPattern();

    [GeneratedRegex(@"\b(?:progression[- ]free|(?:disease|event|relapse|recurrence|metastasis)[- ]free|survival|response rate|responders?\b|(?:complete|partial|objective|overall) response|remission|remitt?ers?\b|success(?:ful)?|cure[ds]?\b|healing|healed|quality of life|erectile function|iief|intercourse|satisfaction|relief|improve(?:ment|d)\b|resol(?:ution|ved)\b|acr ?(?:20|50|70)|pasi ?(?:50|75|90|100)|able to\b|flow rate|qmax|sexual encounter)")]
    private static partial Regex HigherBetterPattern();

    [GeneratedRegex(@"\b(?:adverse events?|side effects?|toxicit(?:y|ies)|mortality|deaths?\b|died|relapse|recurrence|disease progression|\bprogress(?:ion|ed)\b(?![- ]free)|\bpain\b|hba1c|glycosylated|fasting (?:plasma )?glucose|blood pressure|symptom score|ipss|nocturia|incontinence|urgency|leak|hospitali[sz]ation|treatment failure|failure rate|discontinu|severity|disability|infection rate|residual urine|seizure frequency|exacerbation|incidence|worse|worsen\w*|dyspn\w*|depression (?:rating )?scale|ham-?d\b|madrs)")]
    private static partial Regex LowerBetterPattern();
}
