using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;
using DeepImagine.Persistence;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using DeepImagine.Tests;

namespace DeepImagine.RolloutGenerator.Tests;

/// <summary>
/// One rollout-generator instance without a broker: its consumers on MassTransit's in-memory test harness, its schema in
/// the test database (<c>DEEPIMAGINE_TEST_CONNECTION</c>), a temporary model store. Several of these over one store and
/// database are competing instances.
/// </summary>
public sealed class RolloutHarness : IAsyncDisposable
{
    public static readonly string ConnectionString = TestDatabase.ConnectionString;

    private static readonly Lazy<bool> Migrated = new(() =>
    {
        SchemaMigrator.Migrate(ConnectionString, RolloutGeneratorServiceExtensions.Schema, typeof(RolloutGeneratorServiceExtensions).Assembly);
        return true;
    });

    private RolloutHarness(ServiceProvider provider)
    {
        Provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
    }

    public ServiceProvider Provider { get; }
    public ITestHarness Harness { get; }
    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    public static async Task<RolloutHarness> StartAsync(ModelStore store, string worker, int maxPromptsInFlight = 4)
    {
        _ = Migrated.Value;
        var options = new RolloutOptions { ModelStore = store.Root, Worker = worker, MaxPromptsInFlight = maxPromptsInFlight, ClaimPollSeconds = 0.1 };
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(_ => DataSource(pooling: true))
            .AddSingleton<GeneratedRecorder.Messages>()
            .AddRolloutGeneration(options);
        services.AddMassTransitTestHarness(bus =>
        {
            RolloutGeneratorServiceExtensions.AddConsumers(bus);
            bus.AddConsumer<GeneratedRecorder>();
            bus.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(120), testInactivityTimeout: TimeSpan.FromSeconds(1));
        });
        var harness = new RolloutHarness(services.BuildServiceProvider(validateScopes: true));
        await harness.Harness.Start();
        return harness;
    }

    /// <summary>The service's schema; without pooling, disposing a connection closes it (as a killed process's would).</summary>
    public static NpgsqlDataSource DataSource(bool pooling) =>
        new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(ServiceSchema.ConnectionStringFor(ConnectionString, RolloutGeneratorServiceExtensions.Schema))
        {
            Pooling = pooling,
        }.ConnectionString).Build();

    public static RolloutsRequested Request(string model, int version, int prompts, int groupSize = 4, int maxNewTokens = 12, int? seed = null) =>
        new(Guid.NewGuid(), Guid.NewGuid(), model, version, groupSize, new SamplingSettings(maxNewTokens, 1.0, 1.0, 0, seed),
            Enumerable.Range(0, prompts).Select(i => new RolloutPrompt(Guid.NewGuid(), Guid.NewGuid(), i % 2 == 0 ? "You imagine one step." : "",
                $"Dose {10 * (i + 1)} mg to {20 * (i + 1)} mg: how does the response change?")).ToList(),
            DateTimeOffset.UtcNow);

    /// <summary>
    /// The RolloutsGenerated of a batch so far. Recorded by a consumer, not read from the harness's published list, whose
    /// Select waits for the bus to fall idle: it would block while a request waits on another worker's claim.
    /// </summary>
    public IReadOnlyList<RolloutsGenerated> Generated(Guid batchId) =>
        Get<GeneratedRecorder.Messages>().Where(m => m.BatchId == batchId).ToList();

    public static async Task WaitUntilAsync(Func<bool> done, string what, double seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {seconds} s for {what}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await Provider.DisposeAsync();
    }
}

/// <summary>Records every RolloutsGenerated on the harness's bus (the reward-verifier's and learner's view).</summary>
public sealed class GeneratedRecorder(GeneratedRecorder.Messages messages) : IConsumer<RolloutsGenerated>
{
    public sealed class Messages : System.Collections.Concurrent.ConcurrentQueue<RolloutsGenerated>;

    public Task Consume(ConsumeContext<RolloutsGenerated> context)
    {
        messages.Enqueue(context.Message);
        return Task.CompletedTask;
    }
}
