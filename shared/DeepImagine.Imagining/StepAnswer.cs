using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepImagine.Imagining;

public enum Direction { Unknown, Higher, Lower, Same }

/// <summary>What one answer states on its final RESULT line; <see cref="IsParseable"/> is false for a malformed answer.</summary>
public sealed record ImaginedResult(bool IsParseable, Direction Direction, double? LogRatio, bool? Significant)
{
    public static readonly ImaginedResult Unparseable = new(false, Direction.Unknown, null, null);
}

/// <summary>
/// Parses the machine-readable final line of a step answer:
/// <c>RESULT: direction=&lt;higher|lower|same&gt; log_ratio=&lt;x|unknown&gt; significant=&lt;yes|no|unknown&gt;</c>.
/// Never throws: anything else is <see cref="ImaginedResult.Unparseable"/>.
/// </summary>
public static partial class StepAnswer
{
    public static ImaginedResult Parse(string? completion)
    {
        if (string.IsNullOrWhiteSpace(completion)) return ImaginedResult.Unparseable;
        var matches = ResultLine().Matches(completion);
        if (matches.Count == 0) return ImaginedResult.Unparseable;
        var line = matches[^1];
        var direction = line.Groups["direction"].Value.ToLowerInvariant() switch
        {
            "higher" => Direction.Higher,
            "lower" => Direction.Lower,
            "same" => Direction.Same,
            _ => Direction.Unknown,
        };
        double? logRatio = double.TryParse(line.Groups["ratio"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : null;
        bool? significant = line.Groups["significant"].Value.ToLowerInvariant() switch { "yes" => true, "no" => false, _ => null };
        return new ImaginedResult(true, direction, logRatio, significant);
    }

    [GeneratedRegex(@"RESULT:\s*direction=(?<direction>higher|lower|same)(?:\s+log_ratio=(?<ratio>\S+))?(?:\s+significant=(?<significant>\S+))?", RegexOptions.IgnoreCase)]
    private static partial Regex ResultLine();
}
