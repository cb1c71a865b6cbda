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
/// examples per factor and split, how many trials it has seen, its verifiable prompts (RL) per kind and split
/// (<paramref name="Prompts"/>; null from a trace-generator older than them), and its examples per source
/// (<see cref="ExampleSources"/>) and split (<paramref name="Sources"/>).
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
    IReadOnlyList<PromptCount>? Prompts = null,
    IReadOnlyList<DatasetSourceCount>? Sources = null);

/// <summary>How many verifiable prompts of one kind (<see cref="VerifiablePromptKinds"/>) a dataset holds in one split.</summary>
public sealed record PromptCount(string Kind, string Split, int Prompts);

/// <summary>Examples of one source in one split.</summary>
public sealed record DatasetSourceCount(string Source, string Split, int Examples);

/// <summary>Where a step example comes from: a mined pair of registry trials, or a labelled Evidence Inference question.</summary>
public static class ExampleSources
{
    public const string Pairs = "pairs";
    public const string EvidenceInference = "evidence-inference";
}

/// <summary>
/// One pretraining document (<c>GET /api/datasets/{id}/corpus?split=</c>): the registry text of a trial the dataset has
/// seen (title, conditions, design, eligibility, arms, interventions, outcome titles — never results; <paramref name="Split"/>
/// is the trial's own), or an unlabelled trial report (<paramref name="Source"/> <c>evidence-inference-article</c>,
/// <paramref name="TrialId"/> its PMC id; train unless its article has labelled questions in another split).
/// </summary>
public sealed record CorpusDocument(string TrialId, string Split, string Text, string Source = CorpusSources.Registry);

public static class CorpusSources
{
    public const string Registry = "registry";
    public const string EvidenceInferenceArticle = "evidence-inference-article";
}

/// <summary>
/// One labelled Evidence Inference question as trace-generator takes it (<c>POST /api/sources/evidence-inference</c>),
/// the fields of data/evidence-inference/questions.jsonl.gz.
/// </summary>
public sealed record EvidenceInferenceQuestionRecord(string Pmcid, long PromptId, string Intervention, string Comparator, string Outcome, string? Label, int? Annotations);

public sealed record EvidenceInferenceImportRequest(IReadOnlyList<EvidenceInferenceQuestionRecord> Questions);

/// <summary>
/// What an import gave: questions received and newly stored, step examples and verifiable prompts (kind
/// evidence-inference) added to the dataset, and its examples per source afterwards. Importing the same questions again
/// adds nothing.
/// </summary>
public sealed record EvidenceInferenceImportResult(Guid DatasetId, string DatasetName, int Questions, int QuestionsAdded, int ExamplesAdded,
    IReadOnlyList<DatasetSourceCount> Sources, int PromptsAdded);

/// <summary>An unlabelled trial report for pretraining (<c>POST /api/sources/evidence-inference/articles</c>).</summary>
public sealed record EvidenceArticleRecord(string Pmcid, string Text);

public sealed record EvidenceArticleImportRequest(IReadOnlyList<EvidenceArticleRecord> Articles);

/// <summary>Articles received, newly added to the dataset's corpus, and held by it in all.</summary>
public sealed record EvidenceArticleImportResult(int Articles, int Added, int Stored);
