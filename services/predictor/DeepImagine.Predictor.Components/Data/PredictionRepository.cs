using System.Text.Json;
using Dapper;
using DeepImagine.Imagining.Questions;
using DeepImagine.Predictor.Engine;
using Npgsql;

namespace DeepImagine.Predictor.Data;

public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>A prediction job as stored: status, item count, how many items are done, when.</summary>
public sealed record PredictionJobRow(Guid Id, string Status, int Items, int Done, DateOnly? Cutoff, string? Error, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>One stored prediction in the CT Open prediction layout (plus when it was made and with which models).</summary>
/// <remarks>Settable properties: Dapper materializes the double precision[] column as an array only through a property.</remarks>
public sealed record StoredPrediction
{
    public string NctId { get; init; } = "";
    public string EndpointKey { get; init; } = "";
    public int QuestionIndex { get; init; }
    public double[] Probabilities { get; init; } = [];
    public string Output { get; init; } = "";
    public string ModelVersions { get; init; } = "{}";
    public DateTime CreatedAt { get; init; }
}

/// <summary>
/// Jobs and predictions (schema predictor). A job's items are stored with it; an item's predictions and its done mark
/// are written in one transaction, so a killed predictor loses no finished item and redoes at most the one in progress.
/// </summary>
public sealed class PredictionRepository(NpgsqlDataSource db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task CreateJobAsync(Guid id, IReadOnlyList<CtOpenItem> items, DateOnly? cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("insert into prediction_jobs (id, status, items, cutoff) values (@id, 'queued', @count, @cutoff)",
            new { id, count = items.Count, cutoff }, transaction, cancellationToken: cancellationToken));
        for (var i = 0; i < items.Count; i++)
        {
            await connection.ExecuteAsync(new CommandDefinition("insert into prediction_job_items (job_id, item_index, input) values (@id, @i, @input::jsonb)",
                new { id, i, input = JsonSerializer.Serialize(items[i]) }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<PredictionJobRow?> JobAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<PredictionJobRow>(new CommandDefinition("""
            select j.id, j.status, j.items, (select count(*)::int from prediction_job_items i where i.job_id = j.id and i.done_at is not null) as done,
                   j.cutoff, j.error, j.created_at as CreatedAt, j.updated_at as UpdatedAt
            from prediction_jobs j where j.id = @id
            """, new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The oldest job not finished (queued, or left running by a stopped predictor).</summary>
    public async Task<Guid?> NextJobAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition(
            "select id from prediction_jobs where status in ('queued', 'running') order by created_at, id limit 1", cancellationToken: cancellationToken));
    }

    /// <summary>The next item of a job without predictions yet (null when all are done); marks the job running.</summary>
    public async Task<(int Index, CtOpenItem Item, DateOnly? Cutoff)?> NextItemAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("update prediction_jobs set status = 'running', updated_at = now() where id = @jobId and status = 'queued'",
            new { jobId }, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<(int Index, string Input, DateOnly? Cutoff)>(new CommandDefinition("""
            select i.item_index, i.input::text, j.cutoff from prediction_job_items i join prediction_jobs j on j.id = i.job_id
            where i.job_id = @jobId and i.done_at is null order by i.item_index limit 1
            """, new { jobId }, cancellationToken: cancellationToken));
        var row = rows.AsList();
        if (row.Count == 0) return null;
        var r = row[0];
        return (r.Index, JsonSerializer.Deserialize<CtOpenItem>(r.Input)!, r.Cutoff);
    }

    /// <summary>Stores an item's predictions and marks it done, atomically.</summary>
    public async Task CompleteItemAsync(Guid jobId, int itemIndex, CtOpenItem input, IReadOnlyList<QuestionPrediction> predictions, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var p in predictions) await InsertAsync(connection, transaction, jobId, itemIndex, input, p, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("update prediction_job_items set done_at = now() where job_id = @jobId and item_index = @itemIndex",
            new { jobId, itemIndex }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task FinishJobAsync(Guid jobId, string status, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("update prediction_jobs set status = @status, error = @error, updated_at = now() where id = @jobId",
            new { jobId, status, error }, cancellationToken: cancellationToken));
    }

    /// <summary>A synchronous prediction, kept with its input so it can be scored once the trial's results appear.</summary>
    public async Task SaveAsync(CtOpenItem input, IReadOnlyList<QuestionPrediction> predictions, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var p in predictions) await InsertAsync(connection, transaction, null, null, input, p, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredPrediction>> ResultsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredPrediction>(new CommandDefinition("""
            select nct_id as NctId, endpoint_key as EndpointKey, question_index as QuestionIndex, probabilities, output,
                   model_versions::text as ModelVersions, created_at as CreatedAt
            from predictions where job_id = @jobId order by item_index, question_index
            """, new { jobId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    private static Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? jobId, int? itemIndex, CtOpenItem input, QuestionPrediction p, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into predictions (job_id, item_index, nct_id, endpoint_key, question_index, input, probabilities, output, chains, model_versions, fallback_reason)
            values (@jobId, @itemIndex, @NctId, @EndpointKey, @QuestionIndex, @Input::jsonb, @Probabilities, @Output, @Chains::jsonb, @Versions::jsonb, @FallbackReason)
            on conflict (job_id, item_index, question_index) where job_id is not null do nothing
            """, new
        {
            jobId,
            itemIndex,
            p.NctId,
            p.EndpointKey,
            p.QuestionIndex,
            Input = JsonSerializer.Serialize(input),
            p.Probabilities,
            p.Output,
            Chains = JsonSerializer.Serialize(p.Chains, Json),
            Versions = JsonSerializer.Serialize(p.ModelVersions, Json),
            p.FallbackReason,
        }, transaction, cancellationToken: cancellationToken));
}
