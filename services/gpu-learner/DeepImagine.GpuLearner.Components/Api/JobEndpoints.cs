using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using DeepImagine.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.GpuLearner.Api;

/// <summary>The jobs and models API (document <c>/openapi/gpu-learner.json</c>); writes need an API key.</summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("jobs");
        jobs.MapPost("/", SubmitAsync).RequireApiKey()
            .WithSummary("Submit a training job (pretrain or sft); the same inputs and settings (or idempotency key) run once.");
        jobs.MapGet("/", ListAsync).WithSummary("The newest jobs.");
        jobs.MapGet("/{jobId:guid}", GetAsync).WithSummary("A job: status, progress, last metrics, link to its curves.");
        jobs.MapGet("/{jobId:guid}/metrics", MetricsAsync).WithSummary("Per-step metrics of a job.");
        jobs.MapGet("/{jobId:guid}/curves.png", CurvesAsync).WithSummary("PNG of the job's loss and validation-accuracy curves.");
        jobs.MapDelete("/{jobId:guid}", CancelAsync).RequireApiKey().WithSummary("Cancel a job; it keeps its last checkpoint.");

        var models = app.MapGroup("/api/models").WithTags("models");
        models.MapGet("/", ModelsAsync).WithSummary("Every complete model version in the store.");
        models.MapPost("/", RegisterAsync).RequireApiKey().WithSummary("Register a Hugging Face Qwen3 checkpoint directory as a base model.");
        return app;
    }

    private static async Task<Results<Accepted<JobView>, Ok<JobView>, ProblemHttpResult>> SubmitAsync(
        SubmitJobRequest request, JobValidator validator, JobRepository repository, IPublishEndpoint publisher, ModelStore store, CancellationToken cancellationToken)
    {
        ValidatedJob valid;
        var submitted = new SubmitTrainingJob(Guid.NewGuid(), request.IdempotencyKey ?? "pending", request.Kind ?? "", request.BaseModel,
            request.DatasetId, request.Factor, request.HyperParameters ?? new Dictionary<string, string>(), DateTimeOffset.UtcNow);
        try
        {
            valid = await validator.ValidateAsync(submitted, cancellationToken);
        }
        catch (JobValidationException ex)
        {
            return Invalid(ex);
        }
        catch (HttpRequestException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "trace-generator unreachable",
                detail: $"the dataset could not be checked: {ex.Message}");
        }
        var key = request.IdempotencyKey ?? JobValidator.DerivedKey(submitted.Kind, valid.BaseModel, valid.BaseVersion, submitted.DatasetId, submitted.Factor, valid.Settings);
        var existing = await repository.FindByKeyAsync(key, cancellationToken);
        if (existing is not null) return TypedResults.Ok(View(existing, store));

        // The resolved base version and the complete settings travel with the job, so a later default never changes it.
        var job = submitted with
        {
            IdempotencyKey = key,
            BaseModel = valid.BaseVersion is null ? valid.BaseModel : $"{valid.BaseModel}:v{valid.BaseVersion}",
            HyperParameters = valid.Settings.Normalized,
        };
        await publisher.Publish(job, cancellationToken);
        var queued = new JobRecord(job.JobId, key, job.Kind, valid.BaseModel, valid.BaseVersion, job.DatasetId, job.Factor, valid.Settings.Normalized,
            JobStatus.Queued, false, 0, valid.Settings.Steps, null, null, new Dictionary<string, double>(), null, null, null, job.SubmittedAt, null, null);
        return TypedResults.Accepted($"/api/jobs/{job.JobId}", View(queued, store));
    }

    private static async Task<Ok<IReadOnlyList<JobView>>> ListAsync(JobRepository repository, ModelStore store, int? limit, CancellationToken cancellationToken)
    {
        var rows = await repository.ListAsync(Math.Clamp(limit ?? 50, 1, 1000), cancellationToken);
        return TypedResults.Ok<IReadOnlyList<JobView>>(rows.Select(r => View(r, store)).ToList());
    }

    private static async Task<Results<Ok<JobView>, NotFound>> GetAsync(Guid jobId, JobRepository repository, ModelStore store, CancellationToken cancellationToken) =>
        await repository.GetAsync(jobId, cancellationToken) is { } job ? TypedResults.Ok(View(job, store)) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<JobMetricPoint>>, NotFound>> MetricsAsync(Guid jobId, JobRepository repository, CancellationToken cancellationToken)
    {
        if (await repository.GetAsync(jobId, cancellationToken) is null) return TypedResults.NotFound();
        return TypedResults.Ok(await repository.MetricsAsync(jobId, cancellationToken));
    }

    private static async Task<Results<PhysicalFileHttpResult, NotFound>> CurvesAsync(Guid jobId, JobRepository repository, ModelStore store, CancellationToken cancellationToken)
    {
        var job = await repository.GetAsync(jobId, cancellationToken);
        return job is not null && CurvesFile(job, store) is { } path ? TypedResults.PhysicalFile(path, "image/png") : TypedResults.NotFound();
    }

    private static async Task<Results<Accepted<JobView>, NotFound, ProblemHttpResult>> CancelAsync(Guid jobId, JobRepository repository, ModelStore store, CancellationToken cancellationToken)
    {
        var job = await repository.GetAsync(jobId, cancellationToken);
        if (job is null) return TypedResults.NotFound();
        if (!await repository.RequestCancelAsync(jobId, cancellationToken))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "job already finished", detail: $"job {jobId} is {job.Status}");
        return TypedResults.Accepted($"/api/jobs/{jobId}", View((await repository.GetAsync(jobId, cancellationToken))!, store));
    }

    private static async Task<Ok<IReadOnlyList<ModelVersionView>>> ModelsAsync(JobRepository repository, CancellationToken cancellationToken) =>
        TypedResults.Ok(await repository.ModelsAsync(cancellationToken));

    private static async Task<Results<Created<ModelVersionView>, ProblemHttpResult>> RegisterAsync(RegisterModelRequest request, ModelStore store, JobRepository repository, CancellationToken cancellationToken)
    {
        StoredVersion version;
        try
        {
            if (!ModelStore.IsValidName(request.Name)) throw new JobValidationException("name", $"'{request.Name}' must be lower-case letters, digits, '.', '-' or '_'");
            if (string.IsNullOrWhiteSpace(request.Path)) throw new JobValidationException("path", "give the checkpoint directory");
            version = store.RegisterCheckpoint(request.Name, request.Path);
        }
        catch (JobValidationException ex)
        {
            return Invalid(ex);
        }
        catch (Exception ex) when (ex is ArgumentException or DirectoryNotFoundException or InvalidDataException or FileNotFoundException or System.Text.Json.JsonException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid checkpoint", detail: ex.Message,
                extensions: new Dictionary<string, object?> { ["field"] = "path" });
        }
        await repository.RegisterVersionAsync(version, cancellationToken);
        var m = version.Manifest;
        return TypedResults.Created("/api/models", new ModelVersionView(m.Name, m.Version, m.Kind, m.ParentModel, m.ParentVersion, version.RelativePath, m.Sha256, m.JobId, m.Metrics, m.CreatedAt));
    }

    private static ProblemHttpResult Invalid(JobValidationException ex) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid training job", detail: ex.Message,
            extensions: new Dictionary<string, object?> { ["field"] = ex.Field });

    public static JobView View(JobRecord job, ModelStore store) =>
        new(job.JobId, job.IdempotencyKey, job.Kind, job.Status, job.BaseModel, job.BaseVersion, job.DatasetId, job.Factor, job.HyperParameters,
            job.Step, job.TotalSteps, job.Loss, job.EtaSeconds, job.LastMetrics, job.ModelName, job.ModelVersion, job.Error,
            CurvesFile(job, store) is null ? null : $"/api/jobs/{job.JobId}/curves.png", job.SubmittedAt, job.StartedAt, job.FinishedAt);

    /// <summary>The published curves in the model's folder, else the working copy of a job in progress.</summary>
    private static string? CurvesFile(JobRecord job, ModelStore store)
    {
        if (job.ModelName is not null && store.Find(job.ModelName, job.ModelVersion) is { } version)
        {
            var published = Path.Combine(version.Directory, TrainingCurves.FileName);
            if (File.Exists(published)) return published;
        }
        var working = Path.Combine(store.JobDirectory(job.JobId), TrainingCurves.FileName);
        return File.Exists(working) ? working : null;
    }
}
