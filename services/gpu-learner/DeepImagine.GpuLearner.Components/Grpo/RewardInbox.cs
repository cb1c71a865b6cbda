using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using Npgsql;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>
/// Scored rollout groups waiting for a grpo job. The consumer writes them as they arrive; the running job takes them,
/// and marks each with the step that trained on it (or dropped it). Durable, so a learner restart loses none.
/// </summary>
public interface IRewardInbox
{
    /// <summary>Keeps a group once: a redelivered message changes nothing.</summary>
    Task AddAsync(RewardsVerified message, CancellationToken cancellationToken);

    /// <summary>The job's groups no step has used yet, oldest first.</summary>
    Task<IReadOnlyList<RewardsVerified>> PendingAsync(Guid jobId, CancellationToken cancellationToken);

    Task MarkUsedAsync(Guid jobId, IReadOnlyCollection<Guid> groupIds, int step, CancellationToken cancellationToken);

    /// <summary>Groups used by steps after <paramref name="step"/> become pending again (a resumed job redoes those steps).</summary>
    Task ReleaseAfterAsync(Guid jobId, int step, CancellationToken cancellationToken);
}

/// <summary>The inbox in gpu-learner's schema (table <c>grpo_rewards</c>).</summary>
public sealed class PostgresRewardInbox(NpgsqlDataSource dataSource) : IRewardInbox
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task AddAsync(RewardsVerified message, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into grpo_rewards (job_id, group_id, batch_id, prompt_id, policy_version, message)
            values (@JobId, @GroupId, @BatchId, @PromptId, @PolicyVersion, @Message::jsonb)
            on conflict (job_id, group_id) do nothing
            """, new { message.JobId, message.GroupId, message.BatchId, message.PromptId, message.PolicyVersion, Message = JsonSerializer.Serialize(message, Json) },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<RewardsVerified>> PendingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "select message::text from grpo_rewards where job_id = @jobId and used_at_step is null order by received_at, group_id",
            new { jobId }, cancellationToken: cancellationToken));
        return rows.Select(r => JsonSerializer.Deserialize<RewardsVerified>(r, Json)!).ToList();
    }

    public async Task MarkUsedAsync(Guid jobId, IReadOnlyCollection<Guid> groupIds, int step, CancellationToken cancellationToken)
    {
        if (groupIds.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "update grpo_rewards set used_at_step = @step where job_id = @jobId and group_id = any(@groupIds)",
            new { jobId, step, groupIds = groupIds.ToArray() }, cancellationToken: cancellationToken));
    }

    public async Task ReleaseAfterAsync(Guid jobId, int step, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "update grpo_rewards set used_at_step = null where job_id = @jobId and used_at_step > @step",
            new { jobId, step }, cancellationToken: cancellationToken));
    }
}
