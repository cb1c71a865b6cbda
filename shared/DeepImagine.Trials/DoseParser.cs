using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepImagine.Trials;

/// <summary>
/// Reads a dose (amount, unit, frequency, route) from free text such as an arm label ("Avanafil 100 mg"),
/// an arm description or an intervention description. Only what the text states is returned.
/// </summary>
public static partial class DoseParser
{
    /// <summary>
    /// Finds the dose of <paramref name="interventionName"/> in the texts, best source first. The amount comes
    /// from the first text that states one (preferring the amount written right after the intervention's name);
    /// frequency and route from the first text that states each. Returns null when no text says anything of a dose.
    /// </summary>
    public static Dose? Find(string interventionName, params string?[] texts)
    {
        double? amount = null;
        string? unit = null, frequency = null, route = null, source = null;
        foreach (var text in texts)
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (amount is null && FindAmount(interventionName, text) is { } found)
            {
                (amount, unit) = found;
                source = text;
            }
            frequency ??= FindFrequency(text);
            route ??= FindRoute(text);
        }
        if (amount is null && frequency is null && route is null) return null;
        var statedIn = source ?? texts.First(t => !string.IsNullOrWhiteSpace(t))!;
        return new Dose(amount, unit, frequency, route, Shorten(statedIn.Trim()));
    }

    /// <summary>
    /// The dose of one intervention in one arm, read only from that arm's own words: the amount written in the arm
    /// label, else right after the intervention's name in the arm description, else in the intervention's own
    /// description when the intervention belongs to this arm alone and that description states one amount (a
    /// description shared by several arms, or listing capsule strengths, says nothing of this arm's dose).
    /// The dose carries where it was read from (<see cref="DoseProvenance"/>). Null when no such text states an amount.
    /// </summary>
    public static Dose? ForArm(string interventionName, string armLabel, string? armDescription, string? interventionDescription, int armsGivenIt, int activeInArm = 1)
    {
        // Frequency and route may come from the intervention's own description even when several arms share it: unlike
        // an amount, they are the same for every arm it describes.
        var frequency = FindFrequency(armLabel) ?? (armDescription is null ? null : FindFrequency(armDescription))
            ?? (interventionDescription is null ? null : FindFrequency(interventionDescription));
        var route = FindRoute(armLabel) ?? (armDescription is null ? null : FindRoute(armDescription))
            ?? (interventionDescription is null ? null : FindRoute(interventionDescription));
        if (StatedAmount(interventionName, armLabel, nearNameOnly: false) is { } inLabel)
            return new Dose(inLabel.Amount, inLabel.Unit, frequency, route, Shorten(armLabel.Trim()), DoseProvenance.ArmLabel);
        // In the arm description: the amount after the intervention's name; else the one amount stated, when the arm
        // gives only this intervention and the dose is fixed (not titrated, flexible or "up to").
        if (armDescription is not null
            && StatedAmount(interventionName, armDescription, nearNameOnly: activeInArm != 1 || VariableDosePattern().IsMatch(armDescription)) is { } inDescription)
            return new Dose(inDescription.Amount, inDescription.Unit, frequency, route, Shorten(armDescription.Trim()), DoseProvenance.ArmDescription);
        if (armsGivenIt == 1 && interventionDescription is not null && StatedAmount(interventionName, interventionDescription, nearNameOnly: false) is { } own)
        {
            return new Dose(own.Amount, own.Unit, frequency, route, Shorten(interventionDescription.Trim()), DoseProvenance.InterventionDescription);
        }
        return null;
    }

    /// <summary>The dose a results group's title states ("GSK189075 250 mg BID"), when it states exactly one amount.</summary>
    public static Dose? FromGroupTitle(string interventionName, string groupTitle) =>
        StatedAmount(interventionName, groupTitle, nearNameOnly: false) is { } found
            ? new Dose(found.Amount, found.Unit, FindFrequency(groupTitle), FindRoute(groupTitle), Shorten(groupTitle.Trim()), DoseProvenance.GroupTitle)
            : null;

    /// <summary>The dose a results group's description states right after the intervention's name ("BTX (GSK1358820) 200U").</summary>
    public static Dose? FromGroupDescription(string interventionName, string? description) =>
        description is not null && StatedAmount(interventionName, description, nearNameOnly: true) is { } found
            ? new Dose(found.Amount, found.Unit, FindFrequency(description), FindRoute(description), Shorten(description.Trim()), DoseProvenance.GroupDescription)
            : null;

    /// <summary>
    /// The amount right after the intervention's name; else (unless <paramref name="nearNameOnly"/>) the text's
    /// amount when it states exactly one distinct amount.
    /// </summary>
    private static (double Amount, string Unit)? StatedAmount(string interventionName, string text, bool nearNameOnly)
    {
        // A titrated, flexible or escalating dose, or a text about tablet strengths, states no fixed dose of the arm.
        if (VariableDosePattern().IsMatch(text)) return null;
        // Every mention of the name (or of its part before a parenthesis: "CX157" of "CX157 (TriRima)") followed closely
        // by an amount must state the same one ("either 3 mg/kg or 5 mg/kg" says nothing of which).
        var stated = new List<(double, string)>();
        foreach (var name in NameForms(interventionName))
        {
            for (var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(name, at + name.Length, StringComparison.OrdinalIgnoreCase))
            {
                var near = AmountPattern().Match(text[(at + name.Length)..]);
                if (near.Success && near.Index <= 30) stated.Add(ToAmount(near));
            }
            if (stated.Count > 0) break;
        }
        if (stated.Count > 0) return stated.Distinct().Count() == 1 ? stated[0] : null;
        if (nearNameOnly) return null;
        var amounts = AmountPattern().Matches(text).Select(ToAmount).Where(a => a.Item2 != "%").Distinct().ToList();
        return amounts.Count == 1 ? amounts[0] : null;
    }

    private static IEnumerable<string> NameForms(string interventionName)
    {
        var name = interventionName.Trim();
        if (name.Length == 0) yield break;
        yield return name;
        var open = name.IndexOf('(');
        if (open >= 3) yield return name[..open].Trim();
    }

    /// <summary>The first amount with a unit in the text; the one right after the intervention's name when named.</summary>
    internal static (double Amount, string Unit)? FindAmount(string interventionName, string text)
    {
        if (!string.IsNullOrWhiteSpace(interventionName))
        {
            var at = text.IndexOf(interventionName.Trim(), StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                var after = text[(at + interventionName.Trim().Length)..];
                var near = AmountPattern().Match(after);
                // Only an amount close to the name belongs to it ("Drug A 10 mg + Drug B 5 mg").
                if (near.Success && near.Index <= 30) return ToAmount(near);
            }
        }
        var first = AmountPattern().Match(text);
        return first.Success ? ToAmount(first) : null;
    }

    internal static string? FindFrequency(string text)
    {
        var m = FrequencyPattern().Match(text);
        if (!m.Success) return null;
        var f = m.Value.ToLowerInvariant().Replace(".", "", StringComparison.Ordinal).Replace('-', ' ').Trim();
        return f switch
        {
            "qd" or "od" or "once daily" or "once a day" or "daily" or "once per day" or "/day" or "per day" or "a day" or "each day" or "every day" => "once daily",
            "bid" or "twice daily" or "twice a day" or "two times daily" or "two times a day" or "every 12 hours" or "q12h" => "twice daily",
            "tid" or "three times daily" or "three times a day" or "every 8 hours" or "q8h" => "three times daily",
            "qid" or "four times daily" or "four times a day" or "every 6 hours" or "q6h" => "four times daily",
            "qw" or "weekly" or "/week" or "/wk" or "once weekly" or "once a week" or "every week" => "once weekly",
            "q2w" or "every 2 weeks" or "every two weeks" or "biweekly" => "every 2 weeks",
            "q4w" or "every 4 weeks" or "every four weeks" or "monthly" or "once monthly" or "once a month" => "every 4 weeks",
            "qhs" or "at bedtime" => "at bedtime",
            "prn" or "as needed" => "as needed",
            "single dose" or "once" => "single dose",
            _ => f,
        };
    }

    internal static string? FindRoute(string text)
    {
        var m = RoutePattern().Match(text);
        if (!m.Success) return null;
        var r = m.Value.ToLowerInvariant();
        return r switch
        {
            _ when r.StartsWith("oral", StringComparison.Ordinal) || r is "po" || r.StartsWith("by mouth", StringComparison.Ordinal) => "oral",
            _ when r.StartsWith("intraven", StringComparison.Ordinal) || r is "iv" => "intravenous",
            _ when r.StartsWith("subcut", StringComparison.Ordinal) || r is "sc" or "sq" or "s.c." => "subcutaneous",
            _ when r.StartsWith("intramusc", StringComparison.Ordinal) || r is "im" => "intramuscular",
            _ when r.StartsWith("topical", StringComparison.Ordinal) => "topical",
            _ when r.StartsWith("inhal", StringComparison.Ordinal) => "inhaled",
            _ when r.StartsWith("intranasal", StringComparison.Ordinal) || r.StartsWith("nasal", StringComparison.Ordinal) => "intranasal",
            _ when r.StartsWith("transderm", StringComparison.Ordinal) => "transdermal",
            _ when r.StartsWith("sublingual", StringComparison.Ordinal) => "sublingual",
            _ when r.StartsWith("intravitreal", StringComparison.Ordinal) => "intravitreal",
            _ when r.StartsWith("intravesical", StringComparison.Ordinal) => "intravesical",
            _ when r.StartsWith("rectal", StringComparison.Ordinal) => "rectal",
            _ when r.StartsWith("vaginal", StringComparison.Ordinal) || r.StartsWith("intravaginal", StringComparison.Ordinal) => "vaginal",
            _ when r.StartsWith("ophthalm", StringComparison.Ordinal) => "ophthalmic",
            _ => r,
        };
    }

    private static (double, string) ToAmount(Match m)
    {
        var number = m.Groups["amount"].Value.Replace(",", "", StringComparison.Ordinal);
        var unit = m.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "µg" or "ug" or "mcg" or "μg" => "mcg",
            "µg/kg" or "ug/kg" or "mcg/kg" or "μg/kg" => "mcg/kg",
            "mg/m2" or "mg/m²" or "mg/m^2" => "mg/m2",
            "iu" or "international units" => "IU",
            "u" or "unit" or "units" => "units",
            "ml" => "mL",
            var u => u,
        };
        return (double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture), unit);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200];

    [GeneratedRegex(
        @"(?<![\w.])(?<!\d\s?[-–/]\s?)(?<!\d to )(?<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s?(?<unit>international units|mg/kg|mg/m\^2|mg/m2|mg/m²|mcg/kg|µg/kg|μg/kg|ug/kg|mg|mcg|µg|μg|ug|ng|g|IU|iu|units?|U|mL|ml|mmol|mEq|%)(?!\w)(?!/(?!(?i:day|d|week|wk|month)\b))",
        RegexOptions.CultureInvariant)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(
        @"\b(?:once[ -]daily|once a day|once per day|twice daily|twice a day|two times (?:daily|a day)|three times (?:daily|a day)|four times (?:daily|a day)|every (?:\d+|two|four) (?:hours|weeks)|every (?:day|week)|once[ -](?:weekly|a week|monthly|a month)|weekly|biweekly|monthly|daily|per day|each day|at bedtime|as needed|single dose|q\.?d\.?|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q12h|q8h|q6h|qw|q2w|q4w|qhs|prn|od)\b|/(?:day|week|wk)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FrequencyPattern();

    [GeneratedRegex(
        @"\b(?:orally|oral|by mouth|intravenous(?:ly)?|subcutaneous(?:ly)?|intramuscular(?:ly)?|topical(?:ly)?|inhal(?:ed|ation)|intranasal(?:ly)?|nasal|transdermal(?:ly)?|sublingual(?:ly)?|intravitreal(?:ly)?|intravesical(?:ly)?|rectal(?:ly)?|intravaginal(?:ly)?|vaginal(?:ly)?|ophthalmic|PO|IV|SC|SQ|IM)\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex RoutePattern();

    [GeneratedRegex(@"titrat|increas|escalat|flexib|up to|maximum|adjust|target|followed by|tablets? of|capsules? of|supplied as|strength", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VariableDosePattern();
}
