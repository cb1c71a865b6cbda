namespace DeepImagine.Contracts.V1;

/// <summary>
/// One supervised example of one local imagination step, as trace-generator serves it
/// (<c>GET /api/datasets/{id}/examples?split=&amp;factor=&amp;after=&amp;limit=</c>): the chat prompt (system + user) built
/// by DeepImagine.Imagining, the target completion (reasoning trace + final RESULT line) and the observed answer the
/// RESULT line states. <paramref name="Split"/> is train, validation or test (by trial, stable).
/// </summary>
public sealed record StepExampleRecord(
    Guid ExampleId,
    Guid DatasetId,
    string Factor,
    string Split,
    IReadOnlyList<string> TrialIds,
    int TemplateVersion,
    string System,
    string Prompt,
    string Completion,
    string ExpectedDirection,
    double? ExpectedLogRatio,
    bool? ExpectedSignificant,
    string TraceSource);
