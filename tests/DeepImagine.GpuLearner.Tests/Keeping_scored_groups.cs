using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Grpo;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Persistence;
using Npgsql;
using DeepImagine.Tests;

namespace DeepImagine.GpuLearner.Tests;

/// <summary>
/// The grpo inbox table and the metrics map in the test database (<c>DEEPIMAGINE_TEST_CONNECTION</c>, schema gpu_learner):
/// what survives a learner restart.
/// </summary>
public sealed class Keeping_scored_groups : IAsyncLifetime
{
    private static readonly string ConnectionString = TestDatabase.ConnectionString;

    private NpgsqlDataSource _dataSource = null!;
    private readonly Guid _jobId = Guid.NewGuid();

    public Task InitializeAsync()
    {
        SchemaMigrator.Migrate(ConnectionString, GpuLearnerServiceExtensions.Schema, typeof(GpuLearnerServiceExtensions).Assembly);
        _dataSource = new NpgsqlDataSourceBuilder(ServiceSchema.ConnectionStringFor(ConnectionString, GpuLearnerServiceExtensions.Schema)).Build();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("delete from grpo_rewards where job_id = @_jobId", new { _jobId });
            await connection.ExecuteAsync("delete from jobs where job_id = @_jobId", new { _jobId });
        }
        await _dataSource.DisposeAsync();
    }

    private RewardsVerified Scored(int version) =>
        new(_jobId, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "m", version,
            [new CompletionReward(0, 1, 0.5, true, new Dictionary<string, double> { ["direction"] = 1 }), new CompletionReward(1, null, 0, false, new Dictionary<string, double>())],
            DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_redelivered_group_is_kept_once_and_used_groups_come_back_after_a_restart_that_redoes_their_step()
    {
        var inbox = new PostgresRewardInbox(_dataSource);
        var (first, second) = (Scored(1), Scored(2));
        await inbox.AddAsync(first, default);
        await inbox.AddAsync(first, default);
        await inbox.AddAsync(second, default);
        var pending = await inbox.PendingAsync(_jobId, default);
        Assert.Equal([first.GroupId, second.GroupId], pending.Select(p => p.GroupId));
        Assert.Equal(first.Rewards[0].Components["direction"], pending[0].Rewards[0].Components["direction"]);
        Assert.Null(pending[0].Rewards[1].Reward);

        await inbox.MarkUsedAsync(_jobId, [first.GroupId], step: 3, default);
        await inbox.MarkUsedAsync(_jobId, [second.GroupId], step: 5, default);
        Assert.Empty(await inbox.PendingAsync(_jobId, default));
        // Resumed from the checkpoint at step 4: step 5 is redone, so its group is pending again; step 3's is not.
        await inbox.ReleaseAfterAsync(_jobId, 4, default);
        Assert.Equal([second.GroupId], (await inbox.PendingAsync(_jobId, default)).Select(p => p.GroupId));
    }

    [Fact]
    public async Task Named_step_metrics_are_stored_and_served_with_the_fixed_ones()
    {
        var jobs = new JobRepository(_dataSource);
        await jobs.InsertAsync(new JobRecord(_jobId, "test-" + _jobId, JobKinds.Grpo, "b", 1, Guid.NewGuid(), null, new Dictionary<string, string>(), JobStatus.Running, false, 0, 2,
            null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null));
        await jobs.RecordMetricsAsync(_jobId, [
            new JobMetricPoint(1, 0.1, 1e-4, 50, null, null, null) { Values = new Dictionary<string, double> { ["reward_mean"] = 0.25, ["version_lag_max"] = 1 } },
            new JobMetricPoint(2, 0.2, 1e-4, 60, null, null, null),
        ]);
        var points = await jobs.MetricsAsync(_jobId);
        Assert.Equal(0.25, points[0].Values!["reward_mean"]);
        Assert.Equal(1, points[0].Values!["version_lag_max"]);
        Assert.Null(points[1].Values);
    }
}
