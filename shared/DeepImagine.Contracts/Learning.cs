namespace DeepImagine.Contracts.V1;

/// <summary>Examples of one local imagination step, in one dataset: how many per factor and split.</summary>
public sealed record DatasetCount(string Factor, string Split, int Examples);

/// <summary>
/// trace-generator built (or extended) a dataset of step examples with reasoning traces. The examples themselves are
/// read through trace-generator's API (<c>GET /api/datasets/{DatasetId}/examples</c>), never carried on the bus.
/// </summary>
public sealed record SftExamplesReady(
    Guid DatasetId,
    string DatasetName,
    int TemplateVersion,
    IReadOnlyList<DatasetCount> Counts,
    Guid CorrelationId);

/// <summary>
/// A request to train: <paramref name="Kind"/> is <c>pretrain</c>, <c>sft</c> or <c>grpo</c>. The same
/// <paramref name="IdempotencyKey"/> submitted twice runs once. Hyper-parameters are named values (e.g. <c>steps</c>,
/// <c>learning_rate</c>, <c>lora_rank</c>); unknown names are refused at submission.
/// </summary>
public sealed record SubmitTrainingJob(
    Guid JobId,
    string IdempotencyKey,
    string Kind,
    string? BaseModel,
    Guid? DatasetId,
    string? Factor,
    IReadOnlyDictionary<string, string> HyperParameters,
    DateTimeOffset SubmittedAt);

/// <summary>Progress of a running job, published at a bounded rate. <paramref name="Status"/>: queued, running, completed, failed, cancelled.</summary>
public sealed record TrainingJobProgress(
    Guid JobId,
    string Kind,
    string Status,
    int Step,
    int TotalSteps,
    double? Loss,
    double? LearningRate,
    double? TokensPerSecond,
    double? EtaSeconds,
    DateTimeOffset At);

/// <summary>
/// A model version is complete in the model store (its manifest is written): <paramref name="Path"/> is
/// <c>models/&lt;name&gt;/v&lt;N&gt;</c> relative to the store; <paramref name="ModelKind"/> is <c>base</c> or <c>lora</c>.
/// Weights never travel on the bus.
/// </summary>
public sealed record CheckpointPublished(
    Guid JobId,
    string ModelName,
    int Version,
    string? ParentModel,
    int? ParentVersion,
    string ModelKind,
    string Path,
    string Sha256,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset At);
