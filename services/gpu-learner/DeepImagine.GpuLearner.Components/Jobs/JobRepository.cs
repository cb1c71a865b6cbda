using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;
using Npgsql;

namespace DeepImagine.GpuLearner.Jobs;

public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public static bool IsFinished(string status) => status is Completed or Failed or Cancelled;
}

/// <summary>A job row of the registry.</summary>
public sealed record JobRecord(
    Guid JobId, string IdempotencyKey, string Kind, string? BaseModel, int? BaseVersion, Guid? DatasetId, string? Factor,
    IReadOnlyDictionary<string, string> HyperParameters, string Status, bool CancelRequested, int Step, int TotalSteps,
    double? Loss, double? EtaSeconds, IReadOnlyDictionary<string, double> LastMetrics, string? ModelName, int? ModelVersion,
    string? Error, DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>gpu-learner's registry (schema gpu_learner): jobs, per-step metrics and model versions.</summary>
public sealed class JobRepository(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const string JobColumns = """
        job_id as JobId, idempotency_key as IdempotencyKey, kind as Kind, base_model as BaseModel, base_version as BaseVersion,
        dataset_id as DatasetId, factor as Factor, hyper_parameters::text as HyperParameters, status as Status,
        cancel_requested as CancelRequested, step as Step, total_steps as TotalSteps, loss as Loss, eta_seconds as EtaSeconds,
        last_metrics::text as LastMetrics, model_name as ModelName, model_version as ModelVersion, error as Error,
        submitted_at as SubmittedAt, started_at as StartedAt, finished_at as FinishedAt
        """;

    /// <summary>Records a new job; false when its idempotency key (or id) is already known, so it runs once.</summary>
    public async Task<bool> InsertAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into jobs (job_id, idempotency_key, kind, base_model, base_version, dataset_id, factor, hyper_parameters, status,
                              total_steps, error, submitted_at, finished_at)
            values (@JobId, @IdempotencyKey, @Kind, @BaseModel, @BaseVersion, @DatasetId, @Factor, @HyperParameters::jsonb, @Status,
                    @TotalSteps, @Error, @SubmittedAt, @FinishedAt)
            on conflict do nothing
            """, new
        {
            job.JobId, job.IdempotencyKey, job.Kind, job.BaseModel, job.BaseVersion, job.DatasetId, job.Factor,
            HyperParameters = JsonSerializer.Serialize(job.HyperParameters, Json), job.Status, job.TotalSteps, job.Error,
            job.SubmittedAt, job.FinishedAt,
        }, cancellationToken: cancellationToken));
        return inserted == 1;
    }

    public Task<JobRecord?> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        SingleAsync($"select {JobColumns} from jobs where job_id = @jobId", new { jobId }, cancellationToken);

    public Task<JobRecord?> FindByKeyAsync(string idempotencyKey, CancellationToken cancellationToken = default) =>
        SingleAsync($"select {JobColumns} from jobs where idempotency_key = @idempotencyKey", new { idempotencyKey }, cancellationToken);

    /// <summary>The jobs to run next, in order: those left running (interrupted: resume them) before the oldest queued ones.</summary>
    public async Task<IReadOnlyList<JobRecord>> RunnableAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition(
            $"select {JobColumns} from jobs where status in ('queued', 'running') order by status = 'running' desc, submitted_at limit @limit",
            new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>
    /// Claims a job for this process: a PostgreSQL session lock held until the lease is disposed, or until the process
    /// dies (its connection closes), so a killed learner's job is free for the next one while a live one keeps it.
    /// Null when another learner holds it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLeaseAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = BitConverter.ToInt64(jobId.ToByteArray(), 0);
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@key)", new { key }, cancellationToken: cancellationToken)))
            return new JobLease(connection, key);
        await connection.DisposeAsync();
        return null;
    }

    private sealed class JobLease(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // The connection goes back to the pool: the session lock must not go with it.
            await connection.ExecuteAsync("select pg_advisory_unlock(@key)", new { key });
            await connection.DisposeAsync();
        }
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition($"select {JobColumns} from jobs order by submitted_at desc limit @limit", new { limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task MarkRunningAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("update jobs set status = 'running', started_at = coalesce(started_at, now()) where job_id = @jobId", new { jobId }, cancellationToken: cancellationToken));
    }

    public async Task UpdateProgressAsync(Guid jobId, int step, double? loss, double? etaSeconds, IReadOnlyDictionary<string, double>? lastMetrics, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            update jobs set step = @step, loss = @loss, eta_seconds = @etaSeconds,
                            last_metrics = case when @lastMetrics::jsonb is null then last_metrics else last_metrics || @lastMetrics::jsonb end
            where job_id = @jobId
            """, new { jobId, step, loss, etaSeconds, lastMetrics = lastMetrics is null ? null : JsonSerializer.Serialize(lastMetrics, Json) }, cancellationToken: cancellationToken));
    }

    public async Task FinishAsync(Guid jobId, string status, string? error, string? modelName, int? modelVersion, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            update jobs set status = @status, error = @error, model_name = coalesce(@modelName, model_name),
                            model_version = coalesce(@modelVersion, model_version), eta_seconds = null, finished_at = now()
            where job_id = @jobId
            """, new { jobId, status, error, modelName, modelVersion }, cancellationToken: cancellationToken));
    }

    /// <summary>Asks a queued or running job to stop; false when it has already finished (or does not exist).</summary>
    public async Task<bool> RequestCancelAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // A queued job is cancelled at once; a running one stops at its next step and keeps its last checkpoint.
        return await connection.ExecuteAsync(new CommandDefinition("""
            update jobs set cancel_requested = true,
                            status = case when status = 'queued' then 'cancelled' else status end,
                            finished_at = case when status = 'queued' then now() else finished_at end
            where job_id = @jobId and status in ('queued', 'running')
            """, new { jobId }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> IsCancelRequestedAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select cancel_requested from jobs where job_id = @jobId", new { jobId }, cancellationToken: cancellationToken));
    }

    /// <summary>Per-step metrics; a step recorded again (a resumed job repeats the steps after its checkpoint) is replaced.</summary>
    public async Task RecordMetricsAsync(Guid jobId, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken = default)
    {
        if (points.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // All of a checkpoint's steps or none: Dapper runs one statement per row.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into job_metrics (job_id, step, loss, learning_rate, tokens_per_second, val_loss, val_direction_acc, majority_acc, extra)
            values (@JobId, @Step, @Loss, @LearningRate, @TokensPerSecond, @ValLoss, @ValDirectionAccuracy, @MajorityAccuracy, @Extra::jsonb)
            on conflict (job_id, step) do update set loss = excluded.loss, learning_rate = excluded.learning_rate,
                tokens_per_second = excluded.tokens_per_second, extra = excluded.extra,
                val_loss = coalesce(excluded.val_loss, job_metrics.val_loss),
                val_direction_acc = coalesce(excluded.val_direction_acc, job_metrics.val_direction_acc),
                majority_acc = coalesce(excluded.majority_acc, job_metrics.majority_acc)
            """, points.Select(p => new { JobId = jobId, p.Step, p.Loss, p.LearningRate, p.TokensPerSecond, p.ValLoss, p.ValDirectionAccuracy, p.MajorityAccuracy,
                Extra = p.Values is null ? null : JsonSerializer.Serialize(p.Values, Json) }),
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<JobMetricPoint>> MetricsAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int Step, double Loss, double LearningRate, double TokensPerSecond, double? ValLoss, double? ValDirectionAccuracy, double? MajorityAccuracy, string? Extra)>(
            new CommandDefinition("""
            select step, loss, learning_rate, tokens_per_second, val_loss, val_direction_acc, majority_acc, extra::text
            from job_metrics where job_id = @jobId order by step
            """, new { jobId }, cancellationToken: cancellationToken));
        return rows.Select(r => new JobMetricPoint(r.Step, r.Loss, r.LearningRate, r.TokensPerSecond, r.ValLoss, r.ValDirectionAccuracy, r.MajorityAccuracy)
        {
            Values = r.Extra is null ? null : JsonSerializer.Deserialize<Dictionary<string, double>>(r.Extra, Json),
        }).ToList();
    }

    /// <summary>Registers a published version; the store is the truth, so a row for the same name and version (a store rebuilt from scratch) is replaced.</summary>
    public async Task RegisterVersionAsync(StoredVersion version, CancellationToken cancellationToken = default)
    {
        var m = version.Manifest;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into model_versions (name, version, kind, parent_model, parent_version, path, sha256, job_id, metrics, created_at)
            values (@Name, @Version, @Kind, @ParentModel, @ParentVersion, @Path, @Sha256, @JobId, @Metrics::jsonb, @CreatedAt)
            on conflict (name, version) do update set kind = excluded.kind, parent_model = excluded.parent_model,
                parent_version = excluded.parent_version, path = excluded.path, sha256 = excluded.sha256, job_id = excluded.job_id,
                metrics = excluded.metrics, created_at = excluded.created_at
            """, new { m.Name, m.Version, m.Kind, m.ParentModel, m.ParentVersion, Path = version.RelativePath, m.Sha256, m.JobId, Metrics = JsonSerializer.Serialize(m.Metrics, Json), m.CreatedAt },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ModelVersionView>> ModelsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, int Version, string Kind, string? ParentModel, int? ParentVersion, string Path, string Sha256, Guid? JobId, string Metrics, DateTime CreatedAt)>(
            new CommandDefinition("select name, version, kind, parent_model, parent_version, path, sha256, job_id, metrics::text, created_at from model_versions order by name, version", cancellationToken: cancellationToken));
        return rows.Select(r => new ModelVersionView(r.Name, r.Version, r.Kind, r.ParentModel, r.ParentVersion, r.Path, r.Sha256, r.JobId,
            JsonSerializer.Deserialize<Dictionary<string, double>>(r.Metrics, Json) ?? [], new DateTimeOffset(r.CreatedAt, TimeSpan.Zero))).ToList();
    }

    private async Task<JobRecord?> SingleAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    private sealed class JobRow
    {
        public Guid JobId { get; set; }
        public string IdempotencyKey { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? BaseModel { get; set; }
        public int? BaseVersion { get; set; }
        public Guid? DatasetId { get; set; }
        public string? Factor { get; set; }
        public string HyperParameters { get; set; } = "{}";
        public string Status { get; set; } = "";
        public bool CancelRequested { get; set; }
        public int Step { get; set; }
        public int TotalSteps { get; set; }
        public double? Loss { get; set; }
        public double? EtaSeconds { get; set; }
        public string LastMetrics { get; set; } = "{}";
        public string? ModelName { get; set; }
        public int? ModelVersion { get; set; }
        public string? Error { get; set; }
        public DateTime SubmittedAt { get; set; }
        public DateTime? StartedAt { get; set; }
        public DateTime? FinishedAt { get; set; }

        public JobRecord ToRecord() => new(JobId, IdempotencyKey, Kind, BaseModel, BaseVersion, DatasetId, Factor,
            JsonSerializer.Deserialize<Dictionary<string, string>>(HyperParameters, Json) ?? [], Status, CancelRequested, Step, TotalSteps,
            Loss, EtaSeconds, JsonSerializer.Deserialize<Dictionary<string, double>>(LastMetrics, Json) ?? [], ModelName, ModelVersion, Error,
            Utc(SubmittedAt), StartedAt is null ? null : Utc(StartedAt.Value), FinishedAt is null ? null : Utc(FinishedAt.Value));

        private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
    }
}
