using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.Model.Store;

namespace DeepImagine.GpuLearner.Jobs;

/// <summary>A job that passed validation: its settings and the exact base model version it starts from.</summary>
public sealed record ValidatedJob(SubmitTrainingJob Job, JobSettings Settings, string? BaseModel, int? BaseVersion);

/// <summary>
/// Everything that can be checked before training starts, so a bad job fails at submission rather than an hour in:
/// kind and hyper-parameters, the dataset (known to trace-generator, with examples in the splits the job reads), the
/// base model (a complete base version in the store).
/// </summary>
public sealed class JobValidator(IDatasetSource datasets, ModelStore store)
{
    public const string Train = "train";
    public const string Validation = "validation";

    public async Task<ValidatedJob> ValidateAsync(SubmitTrainingJob job, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(job.IdempotencyKey) || job.IdempotencyKey.Length > 200)
            throw new JobValidationException("idempotencyKey", "must be 1 to 200 characters");
        var settings = JobSettings.Parse(job.Kind, job.HyperParameters);
        if (job.DatasetId is not { } datasetId || datasetId == Guid.Empty)
            throw new JobValidationException("datasetId", $"{job.Kind} jobs read a dataset of trace-generator; give its id");
        // trace-generator being unreachable is not the job's fault: it surfaces as HttpRequestException (retried on the bus, 503 on the API).
        var dataset = await datasets.DescribeAsync(datasetId, cancellationToken);
        if (dataset is null) throw new JobValidationException("datasetId", $"dataset {datasetId} is unknown to trace-generator");

        if (job.Kind == JobKinds.Pretrain)
        {
            if (job.BaseModel is not null) throw new JobValidationException("baseModel", "pretrain trains a base model from scratch; leave baseModel empty");
            if (job.Factor is not null) throw new JobValidationException("factor", "pretrain reads the registry text of all factors; leave factor empty");
            if (dataset.Count(Train, null) == 0) throw new JobValidationException("datasetId", $"dataset {datasetId} has no train examples, so no train trials to pretrain on");
            return new ValidatedJob(job, settings, null, null);
        }

        if (job.Kind == JobKinds.Grpo) return await ValidateGrpoAsync(job, settings, datasetId, cancellationToken);

        var (baseName, baseVersion) = ParseModelReference(job.BaseModel);
        var stored = store.Find(baseName, baseVersion)
            ?? throw new JobValidationException("baseModel", baseVersion is null
                ? $"no complete version of model '{baseName}' in the store (pretrain one, or register a checkpoint)"
                : $"model '{baseName}' has no complete version {baseVersion}");
        if (stored.Manifest.Kind != ModelStore.BaseKind)
            throw new JobValidationException("baseModel", $"'{baseName}' v{stored.Manifest.Version} is a {stored.Manifest.Kind} adapter; sft starts from a base model");
        var factor = job.Factor;
        if (factor is not null && !dataset.Counts.Any(c => c.Factor == factor))
            throw new JobValidationException("factor", $"dataset {datasetId} has no examples for factor '{factor}'; it has {string.Join(", ", dataset.Counts.Select(c => c.Factor).Distinct())}");
        if (dataset.Count(Train, factor) == 0) throw new JobValidationException("factor", $"the train split of dataset {datasetId} is empty for {factor ?? "all factors"}");
        if (dataset.Count(Validation, factor) == 0) throw new JobValidationException("factor", $"the validation split of dataset {datasetId} is empty for {factor ?? "all factors"}: nothing to evaluate on");
        return new ValidatedJob(job, settings, baseName, stored.Manifest.Version);
    }

    /// <summary>
    /// grpo: the policy starts from a base model or an sft operator (its adapter is trained further) in the store, and
    /// the dataset has verifiable prompts in its train split (rollouts) and validation split (before/after scores).
    /// </summary>
    private async Task<ValidatedJob> ValidateGrpoAsync(SubmitTrainingJob job, JobSettings settings, Guid datasetId, CancellationToken cancellationToken)
    {
        var (baseName, baseVersion) = ParseModelReference(job.BaseModel);
        var stored = store.Find(baseName, baseVersion)
            ?? throw new JobValidationException("baseModel", baseVersion is null
                ? $"no complete version of model '{baseName}' in the store (pretrain one, train an sft operator, or register a checkpoint)"
                : $"model '{baseName}' has no complete version {baseVersion}");
        if (stored.Manifest.Kind != ModelStore.BaseKind && store.Find(stored.Manifest.ParentModel ?? "", stored.Manifest.ParentVersion) is null)
            throw new JobValidationException("baseModel", $"'{baseName}' v{stored.Manifest.Version} is an adapter whose base '{stored.Manifest.ParentModel}' v{stored.Manifest.ParentVersion} is not in the store");
        if (job.Factor is not null) throw new JobValidationException("factor", "grpo trains on every verifiable prompt of the dataset; leave factor empty");
        if ((await datasets.PromptsAsync(datasetId, Train, cancellationToken)).Count == 0)
            throw new JobValidationException("datasetId", $"dataset {datasetId} has no verifiable prompts in its train split");
        if ((await datasets.PromptsAsync(datasetId, Validation, cancellationToken)).Count == 0)
            throw new JobValidationException("datasetId", $"dataset {datasetId} has no verifiable prompts in its validation split: nothing to evaluate on");
        return new ValidatedJob(job, settings, baseName, stored.Manifest.Version);
    }

    /// <summary><c>name</c>, <c>name:3</c> or <c>name:v3</c>.</summary>
    public static (string Name, int? Version) ParseModelReference(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) throw new JobValidationException("baseModel", "sft and grpo start from a model in the store; give its name (or name:vN)");
        var parts = reference.Split(':', 2);
        if (!ModelStore.IsValidName(parts[0])) throw new JobValidationException("baseModel", $"'{parts[0]}' is not a model name");
        if (parts.Length == 1) return (parts[0], null);
        var number = parts[1].StartsWith('v') ? parts[1][1..] : parts[1];
        return int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? (parts[0], version)
            : throw new JobValidationException("baseModel", $"'{parts[1]}' is not a version (use name:vN)");
    }

    /// <summary>
    /// The idempotency key a request gets when it brings none: a hash of its inputs (kind, resolved base version,
    /// dataset, factor) and its complete settings, so resubmitting the same training reuses the job and its model.
    /// </summary>
    public static string DerivedKey(string kind, string? baseModel, int? baseVersion, Guid? datasetId, string? factor, JobSettings settings)
    {
        var text = new StringBuilder()
            .Append(kind).Append('|').Append(baseModel).Append(':').Append(baseVersion).Append('|').Append(datasetId).Append('|').Append(factor);
        foreach (var (name, value) in settings.Normalized) text.Append('|').Append(name).Append('=').Append(value);
        return "inputs-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }
}
