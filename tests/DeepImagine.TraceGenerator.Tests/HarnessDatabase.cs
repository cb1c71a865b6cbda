using Dapper;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Api;
using DeepImagine.PairMiner.Components.Edge;
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
using DeepImagine.Tests;

namespace DeepImagine.TraceGenerator.Tests;

/// <summary>
/// trace-generator's logic without a broker: MassTransit's in-memory test harness, a fake pair-miner, and the test
/// database (<c>DEEPIMAGINE_TEST_CONNECTION</c>) in a schema of its own, emptied once per run.
/// </summary>
public sealed class HarnessDatabase : IAsyncLifetime
{
    public const string Schema = "trace_generator_harness";

    public static readonly string ConnectionString = TestDatabase.ConnectionString;

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
    /// <param name="failPublishes">how many publishes of SftExamplesReady fail before they succeed (a broker hiccup)</param>
    public ServiceProvider Services(FakePairMiner pairMiner, string datasetName, ExternalTeacher? teacher = null, int failPublishes = 0)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddServiceDatabase(Configuration, Schema, typeof(ApplicationServiceExtensions).Assembly);
        services.AddSingleton<DatasetRepository>();
        services.AddSingleton<PromptRepository>();
        services.AddSingleton(new TraceGenerationOptions { DatasetName = datasetName });
        services.AddSingleton(pairMiner.Client());
        if (teacher is not null) services.AddSingleton(teacher);
        services.AddScoped<ExampleGeneration>();
        services.AddScoped<DatasetBackfill>();
        services.AddSingleton<DeepImagine.TraceGenerator.Sources.EvidenceInferenceSource>();
        var failuresLeft = failPublishes;
        services.AddMassTransitTestHarness(bus =>
        {
            bus.AddConsumer<PairsMinedConsumer, PairsMinedConsumerDefinition>();
            bus.UsingInMemory((context, memory) =>
            {
                memory.ConfigurePublish(publish => publish.UseExecute(send =>
                {
                    if (send is PublishContext<SftExamplesReady> && Interlocked.Decrement(ref failuresLeft) >= 0)
                        throw new InvalidOperationException("publish failed (test)");
                }));
                memory.ConfigureEndpoints(context);
            });
        });
        return services.BuildServiceProvider(validateScopes: true);
    }
}

/// <summary>
/// pair-miner's read API, faked at the HTTP level: it serves the pairs it was given as <see cref="PairRecord"/>s (pair id =
/// position + 1) through pair-miner's own mapping, and trials as pair-miner's <see cref="TrialResource"/>; the harness reads
/// it with the real <see cref="PairMinerClient"/>. It counts the pair requests and the ids asked for.
/// </summary>
public sealed class FakePairMiner : HttpMessageHandler
{
    // pair-miner's HTTP JSON: ASP.NET Core's web defaults with enums as names.
    private static readonly JsonSerializerOptions HttpJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public Dictionary<string, Trial> Trials { get; } = new(StringComparer.Ordinal);
    public List<CounterfactualPair> Pairs { get; } = [];
    public int PairCalls { get; private set; }
    public List<long> RequestedIds { get; } = [];
    public int TrialListCalls { get; private set; }

    /// <summary>Trials whose pair list fails once (503), as a pair-miner restarting mid-backfill would.</summary>
    public HashSet<string> FailPairListsOf { get; } = new(StringComparer.Ordinal);

    /// <summary>Serves a bundled trial and its natural pairs (stored as row <paramref name="rowId"/>).</summary>
    public FakePairMiner WithTrial(string trialId, long rowId)
    {
        var trial = Mined.Trial(trialId);
        Trials[trial.TrialId] = trial;
        Pairs.AddRange(NaturalPairMiner.Mine(trial, new TrialRef(rowId, trial.TrialId, trial.Source, trial.SourceRecordId, 1)));
        return this;
    }

    /// <summary>The ids of the pairs that involve a trial, as pair-miner's PairsMined names them.</summary>
    public IReadOnlyList<long> PairIdsOf(string trialId) =>
        Pairs.Select((p, i) => (p, Id: i + 1L)).Where(x => x.p.A.TrialId == trialId || x.p.B.TrialId == trialId).Select(x => x.Id).ToList();

    public IPairMinerReader Client() => new PairMinerClient(new HttpClient(this, disposeHandler: false) { BaseAddress = new Uri("http://pair-miner.test/") });

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query);
        if (path == "/api/pairs" && query["ids"] is { } ids)
        {
            PairCalls++;
            var named = ids.Split(',').Select(long.Parse).ToList();
            RequestedIds.AddRange(named);
            var records = named.Where(id => id >= 1 && id <= Pairs.Count).Order()
                .Select(id => PairRecordMapping.ToRecord(id, Pairs[(int)id - 1])).ToList();
            return Json(new PairPage(records, null), ContractJson.Options);
        }
        if (path == "/api/trials")
        {
            TrialListCalls++;
            var after = query["after"];
            var limit = int.Parse(query["limit"] ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
            var page = Trials.Keys.Where(id => after is null || string.CompareOrdinal(id, after) > 0).Order(StringComparer.Ordinal).Take(limit).ToList();
            return Json(new TrialIdPage(page, page.Count == limit ? page[^1] : null), ContractJson.Options);
        }
        const string trialsPrefix = "/api/trials/";
        if (path.StartsWith(trialsPrefix, StringComparison.Ordinal) && path.EndsWith("/pairs", StringComparison.Ordinal))
        {
            var trialId = Uri.UnescapeDataString(path[trialsPrefix.Length..^"/pairs".Length]);
            if (FailPairListsOf.Remove(trialId)) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
            var records = PairIdsOf(trialId).Select(id => PairRecordMapping.ToRecord(id, Pairs[(int)id - 1])).ToList();
            return Json(records, ContractJson.Options);
        }
        if (path.StartsWith(trialsPrefix, StringComparison.Ordinal) && Trials.GetValueOrDefault(Uri.UnescapeDataString(path[trialsPrefix.Length..])) is { } t)
            return Json(new TrialResource(t.TrialId, t.Source, t.SourceRecordId, 1, "hash", DateTimeOffset.UtcNow, t), HttpJson);
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
    }

    private static Task<HttpResponseMessage> Json<T>(T body, JsonSerializerOptions options) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(body, options: options) });
}

[CollectionDefinition(Name)]
public sealed class HarnessDatabaseCollection : ICollectionFixture<HarnessDatabase>
{
    public const string Name = "trace-generator harness database";
}
