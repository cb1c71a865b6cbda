using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepImagine.Trials;

/// <summary>
/// A number as a registry reports it: the original <see cref="Text"/>, the parsed <see cref="Value"/> when the
/// text is a number, and the <see cref="Comparator"/> it was stated with ("&lt;0.001" is Value 0.001, Comparator "&lt;").
/// Text that is not a number keeps Value null: it is never guessed.
/// </summary>
public sealed partial record ReportedNumber(double? Value, string Comparator, string Text)
{
    public bool IsNumeric => Value is not null;

    private static readonly HashSet<string> MissingMarkers = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "NA", "N/A", "NR", "NE", "ND", "-", "--", "null", "NaN", ".",
    };

    /// <summary>
    /// Parses reported text; returns null when nothing is reported (absent, empty or a missing marker such as "NA").
    /// </summary>
    public static ReportedNumber? Parse(string? text)
    {
        if (text is null) return null;
        var trimmed = text.Trim();
        if (MissingMarkers.Contains(trimmed)) return null;

        var match = NumberPattern().Match(Normalize(trimmed));
        if (!match.Success) return new ReportedNumber(null, "=", trimmed);

        var comparator = match.Groups["cmp"].Value switch
        {
            "" or "=" or "==" => "=",
            "<=" or "=<" => "<=",
            ">=" or "=>" => ">=",
            var c => c,
        };
        var digits = match.Groups["num"].Value;
        if (digits.Contains(',', StringComparison.Ordinal))
        {
            // Only thousands separators are accepted ("1,234.5"); "1,5" is ambiguous and stays text.
            if (!ThousandsPattern().IsMatch(digits)) return new ReportedNumber(null, "=", trimmed);
            digits = digits.Replace(",", "", StringComparison.Ordinal);
        }
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsInfinity(value))
        {
            return new ReportedNumber(null, "=", trimmed);
        }
        if (match.Groups["exp"].Success)
        {
            if (!int.TryParse(match.Groups["exp"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
                return new ReportedNumber(null, "=", trimmed);
            value *= Math.Pow(10, exponent);
            // "1e300 x10^300" overflows: JSON (and jsonb) cannot hold infinity, so such a number stays text.
            if (!double.IsFinite(value)) return new ReportedNumber(null, "=", trimmed);
        }
        return new ReportedNumber(value, comparator, trimmed);
    }

    /// <summary>Parses a whole number of participants, or null when the text is not one.</summary>
    public static int? ParseCount(string? text)
    {
        var parsed = Parse(text);
        if (parsed?.Value is not { } v || parsed.Comparator != "=" || v < 0 || v > int.MaxValue || v != Math.Floor(v)) return null;
        return (int)v;
    }

    private static string Normalize(string text) => text
        .Replace("\u2264", "<=", StringComparison.Ordinal) // ≤
        .Replace("\u2265", ">=", StringComparison.Ordinal) // ≥
        .Replace("\u2212", "-", StringComparison.Ordinal) // minus sign
        .Replace("\u2013", "-", StringComparison.Ordinal) // en dash used as minus
        .Replace("\u00a0", " ", StringComparison.Ordinal)
        .Replace("\uff1c", "<", StringComparison.Ordinal)
        .Replace("\uff1e", ">", StringComparison.Ordinal);

    public override string ToString() => Text;

    // Optional "p"/"p-value" prefix, optional comparator (≤ and ≥ arrive as &lt;= and &gt;=), a signed decimal with optional
    // thousands separators, optional exponent written as e-5, E-5, x10^-5 or ×10-5.
    [GeneratedRegex(
        @"^(?:p(?:\s*-?\s*value)?\s*)?(?<cmp><=|=<|>=|=>|==|[<>=])?\s*(?<num>[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?:(?:[x×*]\s*10\s*\^?\s*(?<exp>[+-]?\d+)))?\s*%?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[eE][+-]?\d+)?$")]
    private static partial Regex ThousandsPattern();
}
