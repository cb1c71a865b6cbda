using System.Text.RegularExpressions;

namespace DeepImagine.Model;

/// <summary>
/// When a generated sequence ends: at a stop token, once its text contains a stop string, or once its whole text matches
/// a stop pattern. A stop-string check decodes only the last tokens (enough to hold the longest stop string), so it
/// stays constant-time per step however long the text; a stop pattern (which may need the line before it) reads the
/// whole text, meant for short answers.
/// </summary>
public sealed class StoppingCriteria
{
    public const string StopToken = "stop_token";
    public const string StopString = "stop_string";
    public const string StopPattern = "stop_pattern";
    public const string Length = "length";

    private readonly ChatTokenizer _tokenizer;
    private readonly HashSet<int> _stopIds;
    private readonly IReadOnlyList<string> _stopStrings;
    private readonly Regex? _stopPattern;
    private readonly int _window;

    public StoppingCriteria(ChatTokenizer tokenizer, IEnumerable<int> stopTokenIds, IReadOnlyList<string> stopStrings, Regex? stopPattern = null)
    {
        _tokenizer = tokenizer;
        _stopIds = stopTokenIds.ToHashSet();
        _stopStrings = stopStrings.Where(s => s.Length > 0).ToList();
        _stopPattern = stopPattern;
        // A character is at most 4 UTF-8 bytes and every token at least one byte; one more token for a partial character.
        _window = _stopStrings.Count == 0 ? 0 : _stopStrings.Max(s => s.Length) * 4 + 1;
    }

    public IReadOnlySet<int> StopTokenIds => _stopIds;

    /// <summary>Why <paramref name="tokens"/> should stop after its last token was appended, or null to go on.</summary>
    public string? Check(IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0) return null;
        if (_stopIds.Contains(tokens[^1])) return StopToken;
        if (_stopPattern is not null && _stopPattern.IsMatch(_tokenizer.Decode(tokens))) return StopPattern;
        if (_window == 0) return null;
        var from = Math.Max(0, tokens.Count - _window);
        var tail = _tokenizer.Decode(Enumerable.Range(from, tokens.Count - from).Select(i => tokens[i]));
        return _stopStrings.Any(s => tail.Contains(s, StringComparison.Ordinal)) ? StopString : null;
    }

    /// <summary>The text of a finished sequence: stop tokens left out, and cut before the first stop string (a stop
    /// pattern's match is kept: the caller reads the text up to it).</summary>
    public string FinalText(IReadOnlyList<int> tokens, string reason)
    {
        var text = _tokenizer.Decode(tokens.Where(id => !_stopIds.Contains(id)));
        if (reason != StopString) return text;
        var cut = _stopStrings.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(text.Length).Min();
        return text[..cut];
    }
}
