namespace DeepImagine.Trials;

/// <summary>A record that cannot be accepted. <see cref="Field"/> is the path of the offending field in the record.</summary>
public sealed class TrialValidationException(string recordId, string field, string reason)
    : Exception($"record '{recordId}', field '{field}': {reason}")
{
    public string RecordId { get; } = recordId;
    public string Field { get; } = field;
    public string Reason { get; } = reason;
}
