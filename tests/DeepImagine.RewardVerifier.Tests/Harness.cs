using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Persistence;
using DeepImagine.RewardVerifier.Prompts;
using DeepImagine.RewardVerifier.Verifying;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using DeepImagine.Tests;

namespace DeepImagine.RewardVerifier.Tests;

/// <summary>
/// reward-verifier's logic without a broker: MassTransit's in-memory test harness, a fake trace-generator, and the test
/// database (<c>DEEPIMAGINE_TEST_CONNECTION</c>) in a schema of its own, emptied once per run.
/// </summary>
public sealed class HarnessDatabase : IAsyncLifetime
{
    public const string Schema = "reward_verifier_harness";

    public static readonly string ConnectionString = TestDatabase.ConnectionString;

    public IConfiguration Configuration { get; } = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [$"ConnectionStrings:{ServiceSchema.ConnectionStringName}"] = ConnectionString })
        .Build();

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.ExecuteAsync($"drop schema if exists {Schema} cascade");
        SchemaMigrator.Migrate(ConnectionString, Schema, typeof(RewardVerifierServiceExtensions).Assembly);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The consumer's services over the fake trace-generator, as the host wires them (<see cref="RewardVerifierServiceExtensions.AddRewardVerification"/>).</summary>
    /// <param name="failPublishes">how many publishes of RewardsVerified fail before they succeed (a broker hiccup)</param>
    public ServiceProvider Services(FakeTraceGenerator traceGenerator, int failPublishes = 0)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddServiceDatabase(Configuration, Schema, typeof(RewardVerifierServiceExtensions).Assembly);
        services.AddRewardVerification(Configuration);
        services.AddSingleton<IPromptSource>(provider => new TraceGeneratorPrompts(
            new HttpClient(traceGenerator, disposeHandler: false) { BaseAddress = new Uri("http://trace-generator.test/") }, provider.GetRequiredService<PromptCache>()));
        var failuresLeft = failPublishes;
        services.AddMassTransitTestHarness(bus =>
        {
            bus.AddConsumer<RolloutsGeneratedConsumer, RolloutsGeneratedConsumerDefinition>();
            bus.UsingInMemory((context, memory) =>
            {
                memory.ConfigurePublish(publish => publish.UseExecute(send =>
                {
                    if (send is PublishContext<RewardsVerified> && Interlocked.Decrement(ref failuresLeft) >= 0)
                        throw new InvalidOperationException("publish failed (test)");
                }));
                memory.ConfigureEndpoints(context);
            });
        });
        return services.BuildServiceProvider(validateScopes: true);
    }
}

[CollectionDefinition(Name)]
public sealed class HarnessDatabaseCollection : ICollectionFixture<HarnessDatabase>
{
    public const string Name = "reward-verifier harness database";
}

/// <summary>trace-generator's <c>GET /api/prompts/{id}</c>, faked at the HTTP level (web JSON, as ASP.NET Core writes it); counts the requests.</summary>
public sealed class FakeTraceGenerator : HttpMessageHandler
{
    private int _requests;

    public Dictionary<Guid, VerifiablePromptRecord> Prompts { get; } = [];
    public int Requests => _requests;

    public FakeTraceGenerator With(VerifiablePromptRecord prompt)
    {
        Prompts[prompt.PromptId] = prompt;
        return this;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        const string prefix = "/api/prompts/";
        var path = request.RequestUri!.AbsolutePath;
        if (path.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParse(path[prefix.Length..], out var id) && Prompts.TryGetValue(id, out var prompt))
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(prompt, options: new JsonSerializerOptions(JsonSerializerDefaults.Web)) });
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
    }
}
