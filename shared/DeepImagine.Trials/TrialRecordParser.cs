using System.Text.RegularExpressions;

namespace DeepImagine.Trials;

/// <summary>Parses a raw record of any supported format into the normalized <see cref="Trial"/>.</summary>
public static partial class TrialRecordParser
{
    /// <summary>
    /// The largest record accepted, in characters. The largest real study bundled is about 0.35 M characters; the limit
    /// keeps one hostile record from occupying a consumer (and the broker) with hundreds of megabytes.
    /// </summary>
    public const int MaxRecordChars = 8 * 1024 * 1024;

    public static Trial Parse(SourceRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.SourceName))
            throw new TrialValidationException(record.RecordId ?? "(none)", "sourceName", "missing");
        if (string.IsNullOrWhiteSpace(record.RecordId))
            throw new TrialValidationException("(none)", "sourceRecordId", "missing");
        if (!SourceNamePattern().IsMatch(record.SourceName))
            throw new TrialValidationException(record.RecordId, "sourceName", "must be 1-64 lower-case letters, digits, '.', '_' or '-'");
        if (string.IsNullOrWhiteSpace(record.Text))
            throw new TrialValidationException(record.RecordId, "record", "empty");
        if (record.Text.Length > MaxRecordChars)
            throw new TrialValidationException(record.RecordId, "record", $"{record.Text.Length} characters; at most {MaxRecordChars} are accepted");
        RejectUnstorableText(record.RecordId, record.Text);
        Trial trial;
        try
        {
            trial = record.Format switch
            {
                RecordFormat.CtgovV2Json => CtgovV2Reader.Read(record.SourceName, record.RecordId, record.Text),
                RecordFormat.CtgovLegacyXml => CtgovLegacyXmlReader.Read(record.SourceName, record.RecordId, record.Text),
                RecordFormat.DoseGroupTable => DoseGroupTableReader.Read(record.SourceName, record.RecordId, record.Text),
                _ => throw new TrialValidationException(record.RecordId, "format", $"'{record.Format}' is not a supported record format"),
            };
        }
        catch (Exception ex) when (ex is not (TrialValidationException or OutOfMemoryException or OperationCanceledException))
        {
            // A reader tripping over input it does not expect must reject the record, not fail the consumer: a
            // non-validation exception would be retried as if transient and then reach _error without a field.
            throw new TrialValidationException(record.RecordId, "record", $"unreadable: {ex.GetType().Name}: {ex.Message}");
        }
        if (!string.Equals(trial.TrialId, record.RecordId, StringComparison.Ordinal))
        {
            // The record id is the key the record is stored under; one that contradicts the content would file it wrongly.
            throw new TrialValidationException(record.RecordId, "sourceRecordId", $"'{record.RecordId}' does not match the record's own id '{trial.TrialId}'");
        }
        return trial;
    }

    /// <summary>
    /// PostgreSQL text and jsonb cannot hold NUL (raw or as the JSON escape \u0000), and a lone UTF-16 surrogate cannot
    /// be encoded as UTF-8; such a record would fail at storage, after validation, so it is rejected here.
    /// </summary>
    private static void RejectUnstorableText(string recordId, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                throw new TrialValidationException(recordId, "record", $"contains a NUL character at offset {i}");
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c))
                throw new TrialValidationException(recordId, "record", $"contains a lone UTF-16 surrogate at offset {i} (invalid Unicode)");
        }
        if (NulEscapePattern().Match(text) is { Success: true } m)
            throw new TrialValidationException(recordId, "record", $"contains an escaped NUL character (\\u0000 or &#0;) at offset {m.Index}");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}\\z")]
    private static partial Regex SourceNamePattern();

    // \u0000 in JSON (an even number of backslashes before it would make it literal text, which is rare enough to reject
    // too), and &#0; / &#x0; in XML.
    [GeneratedRegex(@"\\u0000|&#0+;|&#x0+;", RegexOptions.IgnoreCase)]
    private static partial Regex NulEscapePattern();
}

/// <summary>One raw record as found in a file, before parsing (the message that carries it is mapped at the edge).</summary>
public sealed record SourceRecord(string SourceName, string RecordId, RecordFormat Format, string Text)
{
    public const string CtgovV2Source = "ctgov-v2";
    public const string CtgovXmlSource = "ctgov-xml";
    public const string ClinDrSource = "clindr";
}
