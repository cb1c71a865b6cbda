using DeepImagine.Trials;
using Wire = DeepImagine.Contracts.V1;

namespace DeepImagine.PairMiner.Components.Edge;

/// <summary>
/// Between the wire (<see cref="Wire.TrialPublished"/>, <see cref="Wire.RecordFormat"/>) and the domain
/// (<see cref="SourceRecord"/>, <see cref="RecordFormat"/>): the domain never references the contracts.
/// </summary>
public static class TrialMessages
{
    public static Wire.TrialPublished ToMessage(this SourceRecord record, Guid correlationId) =>
        new(record.SourceName, record.RecordId, ToWire(record.Format), record.Text, correlationId);

    public static SourceRecord ToSourceRecord(this Wire.TrialPublished message) =>
        new(message.SourceName, message.SourceRecordId, ToDomain(message.Format, message.SourceRecordId), message.Record);

    public static Wire.RecordFormat ToWire(RecordFormat format) => format switch
    {
        RecordFormat.CtgovV2Json => Wire.RecordFormat.CtgovV2Json,
        RecordFormat.CtgovLegacyXml => Wire.RecordFormat.CtgovLegacyXml,
        RecordFormat.DoseGroupTable => Wire.RecordFormat.DoseGroupTable,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no wire format for this record format"),
    };

    /// <summary>A format the domain does not know is the record's fault: a validation error naming the field.</summary>
    public static RecordFormat ToDomain(Wire.RecordFormat format, string? recordId) => format switch
    {
        Wire.RecordFormat.CtgovV2Json => RecordFormat.CtgovV2Json,
        Wire.RecordFormat.CtgovLegacyXml => RecordFormat.CtgovLegacyXml,
        Wire.RecordFormat.DoseGroupTable => RecordFormat.DoseGroupTable,
        _ => throw new TrialValidationException(recordId ?? "(none)", "format", $"'{format}' is not a supported record format"),
    };
}
