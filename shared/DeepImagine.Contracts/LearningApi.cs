namespace DeepImagine.Contracts.V1;

/// <summary>
/// <c>POST /api/jobs</c> (gpu-learner): a training job. Without <paramref name="IdempotencyKey"/> the key is derived
/// from the inputs and the complete configuration, so the same request twice runs once.
/// </summary>
public sealed record SubmitJobRequest(
    string Kind,
    string? BaseModel,
    Guid? DatasetId,
    string? Factor,
    IReadOnlyDictionary<string, string>? HyperParameters,
    string? IdempotencyKey = null);

/// <summary>A training job as <c>GET /api/jobs/{id}</c> shows it. <paramref name="CurvesUrl"/>: the PNG of its loss and accuracy curves, once drawn.</summary>
public sealed record JobView(
    Guid JobId,
    string IdempotencyKey,
    string Kind,
    string Status,
    string? BaseModel,
    int? BaseVersion,
    Guid? DatasetId,
    string? Factor,
    IReadOnlyDictionary<string, string> HyperParameters,
    int Step,
    int TotalSteps,
    double? Loss,
    double? EtaSeconds,
    IReadOnlyDictionary<string, double> LastMetrics,
    string? ModelName,
    int? ModelVersion,
    string? Error,
    string? CurvesUrl,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>One optimizer step of a job (<c>GET /api/jobs/{id}/metrics</c>); validation values only at evaluation steps.</summary>
public sealed record JobMetricPoint(
    int Step,
    double Loss,
    double LearningRate,
    double TokensPerSecond,
    double? ValLoss,
    double? ValDirectionAccuracy,
    double? MajorityAccuracy)
{
    /// <summary>Further named metrics of the step (grpo: reward, clip fractions, version lag, waiting times, …); null when none.</summary>
    public IReadOnlyDictionary<string, double>? Values { get; init; }
}

/// <summary>A complete model version in the store (<c>GET /api/models</c>): <paramref name="Path"/> is relative to the store.</summary>
public sealed record ModelVersionView(
    string Name,
    int Version,
    string Kind,
    string? ParentModel,
    int? ParentVersion,
    string Path,
    string Sha256,
    Guid? JobId,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset CreatedAt);

/// <summary><c>POST /api/models</c>: registers a Hugging Face Qwen3 checkpoint directory (on the learner's machine) as a base model.</summary>
public sealed record RegisterModelRequest(string Name, string Path);
