using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepImagine.Trials;

/// <summary>Small normalizations shared by the readers, so both registry formats end up with the same vocabulary.</summary>
public static partial class Normalize
{
    /// <summary>A ClinicalTrials.gov id: NCT and exactly 8 digits. Ids become storage keys and URL paths, so nothing else passes.</summary>
    public static bool IsNctId(string id) => NctIdPattern().IsMatch(id);

    [GeneratedRegex("^NCT[0-9]{8}\\z")]
    private static partial Regex NctIdPattern();

    /// <summary>"Phase 1/Phase 2" or ["PHASE1","PHASE2"] → PHASE1, PHASE2; "N/A" and "NA" → none.</summary>
    public static IReadOnlyList<string> Phases(IEnumerable<string?> values)
    {
        var phases = new List<string>();
        foreach (var raw in values)
        {
            if (string.IsNullOrWhiteSpace(raw)) continue;
            foreach (Match m in PhasePattern().Matches(raw))
            {
                var phase = m.Groups["early"].Success ? "EARLY_PHASE1" : "PHASE" + m.Groups["n"].Value;
                if (!phases.Contains(phase)) phases.Add(phase);
            }
        }
        return phases;
    }

    /// <summary>"Double (Participant, Investigator)" → DOUBLE; "Active Comparator" → ACTIVE_COMPARATOR.</summary>
    public static string? Token(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var head = text.Split('(')[0].Trim();
        if (head.Length == 0 || head.Equals("N/A", StringComparison.OrdinalIgnoreCase)) return null;
        var sb = new StringBuilder(head.Length);
        foreach (var c in head)
        {
            sb.Append(char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }
        return CollapseUnderscores().Replace(sb.ToString(), "_").Trim('_');
    }

    /// <summary>"All"/"Both" → ALL, "Male" → MALE, "Female" → FEMALE.</summary>
    public static string? Sex(string? text) => Token(text) switch
    {
        null => null,
        "BOTH" => "ALL",
        var s => s,
    };

    /// <summary>"18 Years", "6 Months" → (text, years); "N/A" → null.</summary>
    public static AgeLimit? Age(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("N/A", StringComparison.OrdinalIgnoreCase)) return null;
        var m = AgePattern().Match(text);
        if (!m.Success) return new AgeLimit(text.Trim(), null);
        var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        double? years = m.Groups["unit"].Value.ToLowerInvariant() switch
        {
            var u when u.StartsWith("year", StringComparison.Ordinal) => n,
            var u when u.StartsWith("month", StringComparison.Ordinal) => n / 12.0,
            var u when u.StartsWith("week", StringComparison.Ordinal) => n / 52.1775,
            var u when u.StartsWith("day", StringComparison.Ordinal) => n / 365.25,
            var u when u.StartsWith("hour", StringComparison.Ordinal) => n / 8766.0,
            var u when u.StartsWith("minute", StringComparison.Ordinal) => n / 525960.0,
            _ => null,
        };
        return new AgeLimit(text.Trim(), years is { } y ? Math.Round(y, 4) : null);
    }

    /// <summary>"March 2015" or "March 12, 2015" → 2015-03 / 2015-03-12; ISO text passes through.</summary>
    public static string? Date(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        if (IsoDatePattern().IsMatch(t)) return t;
        string[] full = ["MMMM d, yyyy", "MMMM dd, yyyy", "MMM d, yyyy"];
        if (DateTime.TryParseExact(t, full, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string[] month = ["MMMM yyyy", "MMM yyyy"];
        if (DateTime.TryParseExact(t, month, CultureInfo.InvariantCulture, DateTimeStyles.None, out var m))
            return m.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        return null;
    }

    /// <summary>
    /// Lower-case, accents and punctuation folded: the key names are compared by (retrieval keys are computed only
    /// here; no SQL repeats it). The build runs with invariant globalization, where <c>string.Normalize</c> leaves
    /// non-ASCII text as it is, so Latin letters with diacritics are folded by table; combining marks are dropped.
    /// </summary>
    public static string NameKey(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(c))
            {
                if (LatinFold.TryGetValue(c, out var folded)) sb.Append(folded);
                else sb.Append(char.ToLowerInvariant(c));
                space = false;
            }
            else if (!space && sb.Length > 0) { sb.Append(' '); space = true; }
        }
        return sb.ToString().TrimEnd();
    }

    // Latin-1 Supplement and Latin Extended-A/B letters to their ASCII base letter (from Unicode's decompositions,
    // plus the letters with strokes that do not decompose), lower-case; ligatures and thorn to two letters.
    private const string FoldFrom = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳØøĐđŁłĦħıŦŧÐðƀƗɨ";
    private const string FoldTo = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyOoDdLlHhiTtDdbIi";

    private static readonly FrozenDictionary<char, string> LatinFold =
        FoldFrom.Zip(FoldTo, (from, to) => (From: from, To: char.ToLowerInvariant(to).ToString()))
            .Concat([('ß', "ss"), ('Æ', "ae"), ('æ', "ae"), ('Œ', "oe"), ('œ', "oe"), ('Þ', "th"), ('þ', "th")])
            .ToFrozenDictionary(p => p.Item1, p => p.Item2);

    public static bool IsPlacebo(string? name, string? type = null) =>
        (name is not null && PlaceboPattern().IsMatch(name)) || string.Equals(type, "PLACEBO", StringComparison.OrdinalIgnoreCase);

    /// <summary>An intervention described as a placebo ("Placebo for egg white solid", "Placebo: matching tablet").</summary>
    public static bool DescribesPlacebo(string? description) => description is not null && PlaceboDescriptionPattern().IsMatch(description);

    [GeneratedRegex(@"^\s*(?:a\s+|matching\s+)?placebo\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlaceboDescriptionPattern();

    public static string? Text(string? text)
    {
        if (text is null) return null;
        var t = text.Trim();
        return t.Length == 0 ? null : t;
    }

    [GeneratedRegex(@"(?<early>early[\s_]*phase\s*1)|phase\s*(?<n>[1-4])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PhasePattern();

    [GeneratedRegex("_+")]
    private static partial Regex CollapseUnderscores();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)\s*(?<unit>[A-Za-z]+)")]
    private static partial Regex AgePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}(?:-\d{2})?$")]
    private static partial Regex IsoDatePattern();

    [GeneratedRegex(@"\b(?:placebo|sham|vehicle|dummy)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlaceboPattern();
}
