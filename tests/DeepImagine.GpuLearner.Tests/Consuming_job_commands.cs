using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using DeepImagine.Model;
using DeepImagine.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using DeepImagine.Tests;

namespace DeepImagine.GpuLearner.Tests;

/// <summary>
/// The job consumer and runner on MassTransit's in-memory test harness (no broker), with the registry in the test
/// database (<c>DEEPIMAGINE_TEST_CONNECTION</c>, schema gpu_learner).
/// </summary>
public sealed class Consuming_job_commands : IAsyncLifetime
{
    private static readonly string ConnectionString = TestDatabase.ConnectionString;

    private readonly FakeDatasets _datasets = new();
    private TinyStore _store = null!;
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    private JobRepository Jobs => _provider.GetRequiredService<JobRepository>();

    public async Task InitializeAsync()
    {
        _store = new TinyStore(_datasets);
        SchemaMigrator.Migrate(ConnectionString, GpuLearnerServiceExtensions.Schema, typeof(GpuLearnerServiceExtensions).Assembly);
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new NpgsqlDataSourceBuilder(ServiceSchema.ConnectionStringFor(ConnectionString, GpuLearnerServiceExtensions.Schema)).Build())
            .AddSingleton<JobRepository>()
            .AddSingleton<JobSignal>()
            .AddSingleton<IDatasetSource>(_datasets)
            .AddSingleton(_store.Store)
            .AddTransient<JobValidator>()
            .AddTransient<TrainingExecutor>()
            .AddSingleton(new LearnerOptions { ProgressIntervalSeconds = 0, PollSeconds = 0.2 })
            .AddMassTransitTestHarness(bus => bus.AddConsumer<SubmitTrainingJobConsumer>(typeof(SubmitTrainingJobConsumerDefinition)))
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        // Jobs left queued here belong to no store: a learner sharing the test database must not pick them up.
        await using (var connection = new NpgsqlConnection(ConnectionString))
            await connection.ExecuteAsync("update gpu_learner.jobs set status = 'cancelled', finished_at = now() where idempotency_key like 'test-%' and status in ('queued', 'running')");
        await _harness.Stop();
        await _provider.DisposeAsync();
        _store.Dispose();
    }

    private static SubmitTrainingJob Job(string key, Dictionary<string, string>? hyper = null, string factor = "dose") =>
        new(Guid.NewGuid(), key, JobKinds.Sft, TinyStore.BaseName, FakeDatasets.DatasetId, factor,
            hyper ?? new Dictionary<string, string> { ["max_epochs"] = "1000", ["steps"] = "8", ["batch_size"] = "4", ["warmup_steps"] = "1", ["checkpoint_every"] = "4",
                ["eval_every"] = "8", ["eval_examples"] = "4", ["eval_max_new_tokens"] = "16", ["max_seq_len"] = "128" },
            DateTimeOffset.UtcNow);

    private static string Key() => "test-" + Guid.NewGuid().ToString("N");

    private JobRunner Runner() => new(Jobs, _provider.GetRequiredService<TrainingExecutor>(), _harness.Bus, _provider.GetRequiredService<JobSignal>(),
        _provider.GetRequiredService<LearnerOptions>(), NullLogger<JobRunner>.Instance);

    private async Task ConsumedAsync(Guid jobId) =>
        Assert.True(await _harness.Consumed.Any<SubmitTrainingJob>(m => m.Context.Message.JobId == jobId), "the job command was not consumed");

    [Fact]
    public async Task Records_a_valid_job_as_queued_and_announces_it()
    {
        var job = Job(Key());

        await _harness.Bus.Publish(job);
        await ConsumedAsync(job.JobId);

        var stored = await Jobs.GetAsync(job.JobId);
        Assert.Equal(JobStatus.Queued, stored!.Status);
        Assert.Equal(1, stored.BaseVersion);
        Assert.Equal(8, stored.TotalSteps);
        Assert.Equal("16", stored.HyperParameters["lora_rank"]);
        Assert.True(await _harness.Published.Any<TrainingJobProgress>(m => m.Context.Message.JobId == job.JobId && m.Context.Message.Status == JobStatus.Queued));
    }

    [Fact]
    public async Task Runs_the_same_idempotency_key_once()
    {
        var key = Key();
        var first = Job(key);
        var second = Job(key);

        await _harness.Bus.Publish(first);
        await ConsumedAsync(first.JobId);
        await _harness.Bus.Publish(second);
        await ConsumedAsync(second.JobId);

        Assert.NotNull(await Jobs.GetAsync(first.JobId));
        Assert.Null(await Jobs.GetAsync(second.JobId));
        await using var connection = new NpgsqlConnection(ConnectionString);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from gpu_learner.jobs where idempotency_key = @key", new { key }));
    }

    [Fact]
    public async Task Records_an_invalid_job_as_failed_with_the_reason_and_never_retries_it()
    {
        var job = Job(Key(), new Dictionary<string, string> { ["steps"] = "-3" });

        await _harness.Bus.Publish(job);
        await ConsumedAsync(job.JobId);

        var stored = await Jobs.GetAsync(job.JobId);
        Assert.Equal(JobStatus.Failed, stored!.Status);
        Assert.StartsWith("hyperParameters.steps:", stored.Error);
        Assert.True(await _harness.Published.Any<TrainingJobProgress>(m => m.Context.Message.JobId == job.JobId && m.Context.Message.Status == JobStatus.Failed));
        Assert.Equal(0, _datasets.DescribeCalls); // refused before asking trace-generator anything
    }

    [Fact]
    public async Task Runs_a_queued_job_to_a_published_checkpoint_with_its_metrics_registered()
    {
        var job = Job(Key());
        await _harness.Bus.Publish(job);
        await ConsumedAsync(job.JobId);

        await Runner().RunAsync((await Jobs.GetAsync(job.JobId))!, CancellationToken.None);

        var stored = (await Jobs.GetAsync(job.JobId))!;
        Assert.Equal(JobStatus.Completed, stored.Status);
        Assert.Equal(8, stored.Step);
        Assert.Equal("tiny-base-dose", stored.ModelName);
        Assert.Contains("val_direction_acc", stored.LastMetrics.Keys);
        Assert.Contains("majority_acc", stored.LastMetrics.Keys);
        var published = _harness.Published.Select<CheckpointPublished>(m => m.Context.Message.JobId == job.JobId).Single().Context.Message;
        Assert.Equal(("tiny-base-dose", stored.ModelVersion!.Value, "lora"), (published.ModelName, published.Version, published.ModelKind));
        Assert.Equal($"models/tiny-base-dose/v{published.Version}", published.Path);
        Assert.Equal(_store.Store.Find("tiny-base-dose", published.Version)!.Manifest.Sha256, published.Sha256);
        var metrics = await Jobs.MetricsAsync(job.JobId);
        Assert.Equal(Enumerable.Range(1, 8), metrics.Select(m => m.Step));
        Assert.NotNull(metrics[^1].ValDirectionAccuracy);
        Assert.Contains(await Jobs.ModelsAsync(), m => m.Name == "tiny-base-dose" && m.Version == published.Version && m.JobId == job.JobId);
        Assert.True(await _harness.Published.Any<TrainingJobProgress>(m => m.Context.Message.JobId == job.JobId && m.Context.Message.Status == JobStatus.Completed));
    }

    [Fact]
    public async Task A_job_leased_by_one_learner_is_not_taken_by_another_until_released()
    {
        var jobId = Guid.NewGuid();

        var first = await Jobs.TryLeaseAsync(jobId);
        var second = await Jobs.TryLeaseAsync(jobId);
        Assert.NotNull(first);
        Assert.Null(second);

        await first.DisposeAsync();
        var third = await Jobs.TryLeaseAsync(jobId);
        Assert.NotNull(third);
        await third.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_it_and_keeps_its_last_checkpoint()
    {
        var job = Job(Key(), new Dictionary<string, string> { ["max_epochs"] = "1000", ["steps"] = "2000", ["batch_size"] = "2", ["checkpoint_every"] = "2", ["eval_every"] = "1000", ["max_seq_len"] = "96" });
        await _harness.Bus.Publish(job);
        await ConsumedAsync(job.JobId);

        var run = Runner().RunAsync((await Jobs.GetAsync(job.JobId))!, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Jobs.GetAsync(job.JobId))!.Step < 3 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(await Jobs.RequestCancelAsync(job.JobId));
        await run;

        var stored = (await Jobs.GetAsync(job.JobId))!;
        Assert.Equal(JobStatus.Cancelled, stored.Status);
        Assert.InRange(stored.Step, 3, 1999);
        Assert.True(File.Exists(Path.Combine(_store.Store.JobDirectory(job.JobId), "checkpoint", SftTrainer.TrainerStateFile)));
        Assert.Empty(_store.Store.Versions("tiny-base-dose"));
        Assert.False(await Jobs.RequestCancelAsync(job.JobId));
    }
}
