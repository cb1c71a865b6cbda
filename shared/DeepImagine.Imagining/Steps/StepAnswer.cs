using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepImagine.Imagining;

/// <summary>
/// Writes and reads the answer of one step: a short reasoning trace, then one final line
/// <c>RESULT: direction=&lt;higher|lower|same&gt; log_ratio=&lt;x|unknown&gt; significant=&lt;yes|no|unknown&gt;</c>.
/// </summary>
public static partial class StepAnswer
{
    /// <summary>Log-ratios are written (and so learned) to this many decimals.</summary>
    public const int LogRatioDecimals = 3;

    /// <summary>The final line of a well-formed answer.</summary>
    public static string ResultLine(ImaginedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsParseable)
            throw new ArgumentException($"result is unparseable ({result.Error}); only a parsed result can be written", nameof(result));
        if (result.Direction == ResultDirection.Unknown)
            throw new ArgumentException("result.Direction is Unknown; a RESULT line states higher, lower or same", nameof(result));
        if (result.LogRatio is { } r && !double.IsFinite(r))
            throw new ArgumentException($"result.LogRatio is {r}; it must be a finite number or null", nameof(result));
        var logRatio = result.LogRatio is { } x ? RoundLogRatio(x).ToString("0.###", CultureInfo.InvariantCulture) : "unknown";
        var significant = result.Significant switch { true => "yes", false => "no", null => "unknown" };
        return $"RESULT: direction={StepFormat.Word(result.Direction)} log_ratio={logRatio} significant={significant}";
    }

    /// <summary>The whole completion: the trace, then the RESULT line on a line of its own.</summary>
    public static string Format(ImaginedResult result, string trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var line = ResultLine(result);
        var body = trace.Trim();
        if (ResultLinePattern().IsMatch(body))
            throw new ArgumentException("trace already contains a RESULT line; pass the reasoning only", nameof(trace));
        return body.Length == 0 ? line : body + "\n" + line;
    }

    /// <summary>Rounds a log-ratio to what a RESULT line holds (so a written and re-read result compares equal).</summary>
    public static double RoundLogRatio(double logRatio)
    {
        var rounded = Math.Round(logRatio, LogRatioDecimals, MidpointRounding.AwayFromZero);
        return rounded == 0 ? 0 : rounded; // no "-0"
    }

    /// <summary>
    /// Reads the last RESULT line of a completion. Never throws: anything malformed (no RESULT line, unknown direction,
    /// a log-ratio that is not a finite number, a duplicated or missing field) gives an unparseable result with the reason.
    /// </summary>
    public static ImaginedResult Parse(string? completion)
    {
        if (string.IsNullOrWhiteSpace(completion)) return ImaginedResult.Unparseable("empty completion");
        var matches = ResultLinePattern().Matches(completion);
        if (matches.Count == 0) return ImaginedResult.Unparseable("no line starting with 'RESULT:'");
        var fields = matches[^1].Groups["fields"].Value.Trim();

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in fields.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return ImaginedResult.Unparseable($"RESULT field '{token}' is not name=value");
            var name = token[..eq].ToLowerInvariant();
            var value = token[(eq + 1)..].TrimEnd(',', ';', '.').ToLowerInvariant();
            if (name is not ("direction" or "log_ratio" or "significant")) return ImaginedResult.Unparseable($"RESULT field '{name}' is unknown");
            if (!values.TryAdd(name, value)) return ImaginedResult.Unparseable($"RESULT field '{name}' appears twice");
        }

        if (!values.TryGetValue("direction", out var directionText)) return ImaginedResult.Unparseable("RESULT line has no direction");
        var direction = directionText switch
        {
            "higher" => ResultDirection.Higher,
            "lower" => ResultDirection.Lower,
            "same" => ResultDirection.Same,
            _ => ResultDirection.Unknown,
        };
        if (direction == ResultDirection.Unknown) return ImaginedResult.Unparseable($"direction '{directionText}' is not higher, lower or same");

        double? logRatio = null;
        if (!values.TryGetValue("log_ratio", out var logRatioText)) return ImaginedResult.Unparseable("RESULT line has no log_ratio");
        if (logRatioText != "unknown")
        {
            if (!double.TryParse(logRatioText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || !double.IsFinite(parsed))
                return ImaginedResult.Unparseable($"log_ratio '{logRatioText}' is not a finite number or 'unknown'");
            logRatio = parsed;
        }

        if (!values.TryGetValue("significant", out var significantText)) return ImaginedResult.Unparseable("RESULT line has no significant");
        bool? significant = significantText switch
        {
            "yes" => true,
            "no" => false,
            "unknown" => null,
            _ => (bool?)null,
        };
        if (significant is null && significantText != "unknown") return ImaginedResult.Unparseable($"significant '{significantText}' is not yes, no or unknown");
        return ImaginedResult.Of(direction, logRatio, significant);
    }

    /// <summary>The reasoning before the last RESULT line (the whole text when there is none).</summary>
    public static string Trace(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var matches = ResultLinePattern().Matches(completion);
        return (matches.Count == 0 ? completion : completion[..matches[^1].Index]).Trim();
    }

    /// <summary>Where the first RESULT line of a completion starts, or null when it has none.</summary>
    public static int? FirstResultLineIndex(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var match = ResultLinePattern().Match(completion);
        return match.Success ? match.Index : null;
    }

    /// <summary>
    /// Matches once a text has begun a RESULT line (up to its colon). A text that matches it has a RESULT line starting
    /// where the first match starts, whatever follows (short of a lone carriage return later on that line), so
    /// generation may stop there: <see cref="FirstResultLineIndex"/> (and so the trace) of the stopped text is that of
    /// the text written on.
    /// </summary>
    public static Regex ResultLineStart { get; } = ResultLineStartPattern();

    [GeneratedRegex(@"^[ \t*>#-]*RESULT\s*:\**(?<fields>[^\r\n]*)\r?$", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ResultLinePattern();

    // The same line start as ResultLinePattern (whose rest, \**[^\r\n]*\r?$, matches whatever follows the colon).
    [GeneratedRegex(@"^[ \t*>#-]*RESULT\s*:", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ResultLineStartPattern();
}
