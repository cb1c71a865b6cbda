using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using Npgsql;

namespace DeepImagine.RewardVerifier.Data;

/// <summary>Verified groups and their completions' rewards in schema reward_verifier. A group is written once.</summary>
public sealed class RewardRepository(NpgsqlDataSource dataSource)
{
    /// <summary>Stores the group and its completions unless the group is stored already; true when this call stored it.</summary>
    public async Task<bool> AddAsync(VerifiedGroupView group, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into reward_groups (group_id, job_id, batch_id, prompt_id, prompt_kind, model_name, policy_version, worker, verified_at)
            values (@GroupId, @JobId, @BatchId, @PromptId, @PromptKind, @ModelName, @PolicyVersion, @Worker, @VerifiedAt)
            on conflict (group_id) do nothing
            """, new
        {
            group.GroupId, group.JobId, group.BatchId, group.PromptId, group.PromptKind, group.ModelName, group.PolicyVersion, group.Worker,
            VerifiedAt = group.VerifiedAt.UtcDateTime,
        }, transaction, cancellationToken: cancellationToken));
        if (inserted == 0) return false;
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into completion_rewards (group_id, index, text, token_count, finish_reason, reward, advantage, parseable, parse_error, components)
            select @groupId, * from unnest(@indexes, @texts, @tokenCounts, @finishReasons, @rewards, @advantages, @parseables, @parseErrors, @components::jsonb[])
            """, new
        {
            groupId = group.GroupId,
            indexes = group.Completions.Select(c => c.Index).ToArray(),
            texts = group.Completions.Select(c => c.Text).ToArray(),
            tokenCounts = group.Completions.Select(c => c.TokenCount).ToArray(),
            finishReasons = group.Completions.Select(c => c.FinishReason).ToArray(),
            rewards = group.Completions.Select(c => c.Reward).ToArray(),
            advantages = group.Completions.Select(c => c.Advantage).ToArray(),
            parseables = group.Completions.Select(c => c.Parseable).ToArray(),
            parseErrors = group.Completions.Select(c => c.ParseError).ToArray(),
            components = group.Completions.Select(c => JsonSerializer.Serialize(c.Components)).ToArray(),
        }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Notes that the group's RewardsVerified was published (the first time only).</summary>
    public async Task MarkPublishedAsync(Guid groupId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("update reward_groups set published_at = now() where group_id = @groupId and published_at is null",
            new { groupId }, cancellationToken: cancellationToken));
    }

    public async Task<VerifiedGroupView?> GetAsync(Guid groupId, CancellationToken cancellationToken) =>
        (await ReadAsync("where group_id = @groupId", new { groupId }, cancellationToken)).SingleOrDefault();

    /// <summary>A page of verified groups in stored order, of one job when given, after the group <paramref name="after"/> (exclusive) when given.</summary>
    public Task<IReadOnlyList<VerifiedGroupView>> ListAsync(Guid? jobId, Guid? after, int limit, CancellationToken cancellationToken) =>
        ReadAsync("""
            where (@jobId::uuid is null or job_id = @jobId)
              and seq > coalesce((select seq from reward_groups where group_id = @after), 0)
            order by seq
            limit @limit
            """, new { jobId, after, limit }, cancellationToken);

    public async Task<bool> HasGroupAsync(Guid groupId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from reward_groups where group_id = @groupId)",
            new { groupId }, cancellationToken: cancellationToken));
    }

    private async Task<IReadOnlyList<VerifiedGroupView>> ReadAsync(string filter, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var groups = (await connection.QueryAsync<GroupRow>(new CommandDefinition($"""
            select group_id as GroupId, job_id as JobId, batch_id as BatchId, prompt_id as PromptId, prompt_kind as PromptKind, model_name as ModelName,
                   policy_version as PolicyVersion, worker as Worker, verified_at as VerifiedAt, published_at as PublishedAt
            from reward_groups
            {filter}
            """, parameters, cancellationToken: cancellationToken))).ToList();
        if (groups.Count == 0) return [];
        var completions = (await connection.QueryAsync<CompletionRow>(new CommandDefinition("""
            select group_id as GroupId, index as Index, text as Text, token_count as TokenCount, finish_reason as FinishReason, reward as Reward,
                   advantage as Advantage, parseable as Parseable, parse_error as ParseError, components::text as Components
            from completion_rewards where group_id = any(@ids) order by group_id, index
            """, new { ids = groups.Select(g => g.GroupId).ToArray() }, cancellationToken: cancellationToken))).ToLookup(c => c.GroupId);
        return groups.Select(g => new VerifiedGroupView(g.GroupId, g.JobId, g.BatchId, g.PromptId, g.PromptKind, g.ModelName, g.PolicyVersion, g.Worker,
            completions[g.GroupId].Select(c => new VerifiedCompletionView(c.Index, c.Text, c.TokenCount, c.FinishReason, c.Reward, c.Advantage, c.Parseable,
                c.ParseError, JsonSerializer.Deserialize<Dictionary<string, double>>(c.Components) ?? [])).ToList(),
            Utc(g.VerifiedAt), g.PublishedAt is { } p ? Utc(p) : null)).ToList();
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    // Dapper fills these by property name.
    private sealed class GroupRow
    {
        public Guid GroupId { get; init; }
        public Guid JobId { get; init; }
        public Guid BatchId { get; init; }
        public Guid PromptId { get; init; }
        public string PromptKind { get; init; } = "";
        public string ModelName { get; init; } = "";
        public int PolicyVersion { get; init; }
        public string Worker { get; init; } = "";
        public DateTime VerifiedAt { get; init; }
        public DateTime? PublishedAt { get; init; }
    }

    private sealed class CompletionRow
    {
        public Guid GroupId { get; init; }
        public int Index { get; init; }
        public string Text { get; init; } = "";
        public int TokenCount { get; init; }
        public string FinishReason { get; init; } = "";
        public double? Reward { get; init; }
        public double Advantage { get; init; }
        public bool Parseable { get; init; }
        public string? ParseError { get; init; }
        public string Components { get; init; } = "{}";
    }
}
