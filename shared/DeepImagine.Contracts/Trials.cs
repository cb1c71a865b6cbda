namespace DeepImagine.Contracts.V1;

/// <summary>How the raw record inside a <see cref="TrialPublished"/> is written.</summary>
public enum RecordFormat
{
    /// <summary>One ClinicalTrials.gov data-API v2 study object (JSON).</summary>
    CtgovV2Json,

    /// <summary>One legacy ClinicalTrials.gov <c>&lt;clinical_study&gt;</c> document (XML).</summary>
    CtgovLegacyXml,

    /// <summary>CSV rows (with header) of one protocol's dose-group results, clinDR <c>metaData</c> layout.</summary>
    DoseGroupTable,
}

/// <summary>
/// A trial record offered to the platform by an external system, the CLI or the gateway.
/// <paramref name="SourceName"/> + <paramref name="SourceRecordId"/> identify the record; publishing the
/// same content again is harmless, changed content becomes a new stored version.
/// </summary>
public sealed record TrialPublished(
    string SourceName,
    string SourceRecordId,
    RecordFormat Format,
    string Record,
    Guid CorrelationId);

/// <summary>A published record was parsed and is stored (newly, or it already was: <paramref name="IsNewVersion"/>).</summary>
public sealed record TrialStored(
    string TrialId,
    string SourceName,
    string SourceRecordId,
    int Version,
    string ContentHash,
    bool IsNewVersion,
    bool HasResults,
    Guid CorrelationId);

/// <summary>A published record could not be accepted; <paramref name="Field"/> names what was wrong.</summary>
public sealed record TrialRejected(
    string SourceName,
    string SourceRecordId,
    string Field,
    string Reason,
    Guid CorrelationId);
