namespace DeepImagine.Trials;

/// <summary>
/// How a raw record is written. The domain's own type: the wire's <c>DeepImagine.Contracts.V1.RecordFormat</c> has the same
/// names and is mapped to this one at the edge (the consumer), so the model and the readers never depend on the wire.
/// </summary>
public enum RecordFormat
{
    /// <summary>One ClinicalTrials.gov data-API v2 study object (JSON).</summary>
    CtgovV2Json,

    /// <summary>One legacy ClinicalTrials.gov <c>&lt;clinical_study&gt;</c> document (XML).</summary>
    CtgovLegacyXml,

    /// <summary>CSV rows (with header) of one protocol's dose-group results, clinDR <c>metaData</c> layout.</summary>
    DoseGroupTable,
}
