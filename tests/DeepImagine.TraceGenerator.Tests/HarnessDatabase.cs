using Dapper;
using DeepImagine.Pairs;
using DeepImagine.Pairs.Tests;
using DeepImagine.Persistence;
using DeepImagine.TraceGenerator.Consuming;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.PairMiner;
using DeepImagine.TraceGenerator.Teaching;
using DeepImagine.Trials;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepImagine.TraceGenerator.Tests;

/// <summary>
/// trace-generator's logic without a broker: MassTransit's in-memory test harness, a fake pair-miner, and the test
/// database (<c>DEEPIMAGINE_TEST_CONNECTION</c>) in a schema of its own, emptied once per run.
/// </summary>
public sealed class HarnessDatabase : IAsyncLifetime
{
    public const string Schema = "trace_generator_harness";

    public static readonly string ConnectionString = Environment.GetEnvironmentVariable("DEEPIMAGINE_TEST_CONNECTION")
        ?? "Host=127.0.0.1;Port=5432;Database=deepimagine_test;Username=deepimagine;Password=deepimagine";

    public IConfiguration Configuration { get; } = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [$"ConnectionStrings:{ServiceSchema.ConnectionStringName}"] = ConnectionString })
        .Build();

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.ExecuteAsync($"drop schema if exists {Schema} cascade");
        SchemaMigrator.Migrate(ConnectionString, Schema, typeof(ApplicationServiceExtensions).Assembly);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The consumer's services over the fake pair-miner; a dataset name of its own per test keeps tests apart.</summary>
    public ServiceProvider Services(FakePairMiner pairMiner, string datasetName, ExternalTeacher? teacher = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddServiceDatabase(Configuration, Schema, typeof(ApplicationServiceExtensions).Assembly);
        services.AddSingleton<DatasetRepository>();
        services.AddSingleton(new TraceGenerationOptions { DatasetName = datasetName });
        services.AddSingleton<IPairMinerReader>(pairMiner);
        if (teacher is not null) services.AddSingleton(teacher);
        services.AddScoped<ExampleGeneration>();
        services.AddMassTransitTestHarness(bus => bus.AddConsumer<PairsMinedConsumer, PairsMinedConsumerDefinition>());
        return services.BuildServiceProvider(validateScopes: true);
    }
}

/// <summary>pair-miner's read API, faked: the pairs and trials it was given, with the calls it answered.</summary>
public sealed class FakePairMiner : IPairMinerReader
{
    public Dictionary<string, Trial> Trials { get; } = new(StringComparer.Ordinal);
    public List<CounterfactualPair> Pairs { get; } = [];
    public int PairCalls { get; private set; }

    /// <summary>Serves a bundled trial and its natural pairs (stored as row <paramref name="rowId"/>).</summary>
    public FakePairMiner WithTrial(string trialId, long rowId)
    {
        var trial = Mined.Trial(trialId);
        Trials[trial.TrialId] = trial;
        Pairs.AddRange(NaturalPairMiner.Mine(trial, new TrialRef(rowId, trial.TrialId, trial.Source, trial.SourceRecordId, 1)));
        return this;
    }

    public Task<IReadOnlyList<MinedPair>> GetPairsAsync(string trialId, CancellationToken cancellationToken)
    {
        PairCalls++;
        IReadOnlyList<MinedPair> pairs = Pairs.Select((p, i) => (p, i)).Where(x => x.p.A.TrialId == trialId || x.p.B.TrialId == trialId)
            .Select(x => new MinedPair(x.i + 1, x.p)).ToList();
        return Task.FromResult(pairs);
    }

    public Task<Trial?> GetTrialAsync(string trialId, CancellationToken cancellationToken) => Task.FromResult(Trials.GetValueOrDefault(trialId));
}

[CollectionDefinition(Name)]
public sealed class HarnessDatabaseCollection : ICollectionFixture<HarnessDatabase>
{
    public const string Name = "trace-generator harness database";
}
