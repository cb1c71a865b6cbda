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

/// <summary>
/// A dataset of step examples as trace-generator serves it (<c>GET /api/datasets</c>, <c>GET /api/datasets/{id}</c>):
/// examples per factor and split, how many trials it has seen, and its verifiable prompts (RL) per kind and split
/// (<paramref name="Prompts"/>; null from a trace-generator older than them).
/// </summary>
public sealed record DatasetSummary(
    Guid DatasetId,
    string Name,
    int TemplateVersion,
    IReadOnlyList<DatasetCount> Counts,
    int Examples,
    int Trials,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<PromptCount>? Prompts = null);

/// <summary>How many verifiable prompts of one kind (<see cref="VerifiablePromptKinds"/>) a dataset holds in one split.</summary>
public sealed record PromptCount(string Kind, string Split, int Prompts);

/// <summary>
/// The registry text of one trial a dataset has seen (<c>GET /api/datasets/{id}/corpus?split=</c>): title, conditions,
/// design, eligibility, arms, interventions, outcome titles — never results. <paramref name="Split"/> is the trial's own.
/// </summary>
public sealed record CorpusDocument(string TrialId, string Split, string Text);
