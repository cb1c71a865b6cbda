
namespace DeepImagine.Trials;

/// <summary>Parses a raw record of any supported format into the normalized <see cref="Trial"/>.</summary>
public static class TrialRecordParser
{
    public static Trial Parse(SourceRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.SourceName))
            throw new TrialValidationException(record.RecordId ?? "(none)", "sourceName", "missing");
        if (string.IsNullOrWhiteSpace(record.RecordId))
            throw new TrialValidationException("(none)", "sourceRecordId", "missing");
        if (string.IsNullOrWhiteSpace(record.Text))
            throw new TrialValidationException(record.RecordId, "record", "empty");
        var trial = record.Format switch
        {
            RecordFormat.CtgovV2Json => CtgovV2Reader.Read(record.SourceName, record.RecordId, record.Text),
            RecordFormat.CtgovLegacyXml => CtgovLegacyXmlReader.Read(record.SourceName, record.RecordId, record.Text),
            RecordFormat.DoseGroupTable => DoseGroupTableReader.Read(record.SourceName, record.RecordId, record.Text),
            _ => throw new TrialValidationException(record.RecordId, "format", $"'{record.Format}' is not a supported record format"),
        };
        if (record.Format != RecordFormat.DoseGroupTable && !string.Equals(trial.TrialId, record.RecordId, StringComparison.Ordinal))
        {
            // The record id is the key the record is stored under; one that contradicts the content would file it wrongly.
            throw new TrialValidationException(record.RecordId, "sourceRecordId", $"'{record.RecordId}' does not match the record's own id '{trial.TrialId}'");
        }
        return trial;
    }
}

/// <summary>One raw record as found in a file, before parsing (the message that carries it is mapped at the edge).</summary>
public sealed record SourceRecord(string SourceName, string RecordId, RecordFormat Format, string Text)
{
    public const string CtgovV2Source = "ctgov-v2";
    public const string CtgovXmlSource = "ctgov-xml";
    public const string ClinDrSource = "clindr";
}
