extern alias pairminer;
extern alias gateway;

using System.Collections.Concurrent;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.Persistence;
using DeepImagine.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using DeepImagine.Tests;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// pair-miner (on a real Kestrel port) and the gateway, both on the live RabbitMQ and PostgreSQL started by
/// infra/local/infra-up.sh, in the test vhost and database so a running `make run` is never disturbed.
/// pair-miner's schema in the test database is dropped once per run (its migrations recreate it). The settings go into
/// each host's own configuration (no process-wide environment variables); the gateway's backend comes from the one
/// service list, moved to pair-miner's test port. Events the services publish are collected for the tests to await.
/// </summary>
public sealed class LiveServices : IAsyncLifetime
{
    public static readonly string ConnectionString = TestDatabase.ConnectionString;
    public static readonly string VirtualHost = Environment.GetEnvironmentVariable("DEEPIMAGINE_TEST_RABBIT_VHOST") ?? "deepimagine-test";

    private WebApplicationFactory<pairminer::Program>? _pairMiner;
    private WebApplicationFactory<gateway::Program>? _gateway;
    private HostReceiveEndpointHandle? _observer;

    public ConcurrentQueue<TrialStored> Stored { get; } = new();
    public ConcurrentQueue<TrialRejected> Rejected { get; } = new();
    public ConcurrentQueue<PairsMined> Mined { get; } = new();

    public HttpClient PairMinerClient { get; private set; } = null!;
    public HttpClient GatewayClient { get; private set; } = null!;
    public IBus Bus => _pairMiner!.Services.GetRequiredService<IBus>();
    public TrialRepository Trials => _pairMiner!.Services.GetRequiredService<TrialRepository>();
    public PairRepository Pairs => _pairMiner!.Services.GetRequiredService<PairRepository>();
    public RabbitMqOptions RabbitMq => _pairMiner!.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
    public IReadOnlyList<ServiceEntry> ServiceList { get; } = DeepImagine.ServiceDefaults.ServiceList.Load();

    public async Task InitializeAsync()
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.ExecuteAsync($"drop schema if exists {PairMinerApplication.Schema} cascade");
        }

        _pairMiner = new WebApplicationFactory<pairminer::Program>().WithWebHostBuilder(host => host
            .UseSetting($"ConnectionStrings:{ServiceSchema.ConnectionStringName}", ConnectionString)
            .UseSetting("RabbitMq:VirtualHost", VirtualHost)
            // Any free port: appsettings' Urls (5101) may be held by the services `make run` left running.
            .UseSetting("Urls", "http://127.0.0.1:0"));
        _pairMiner.UseKestrel(0);
        _pairMiner.StartServer();
        PairMinerClient = _pairMiner.CreateClient();

        var pairMiner = ServiceList.Single(s => s.Name == "pair-miner");
        _gateway = new WebApplicationFactory<gateway::Program>().WithWebHostBuilder(host => host
            .UseSetting($"ReverseProxy:Clusters:{pairMiner.Name}:Destinations:primary:Address", PairMinerClient.BaseAddress!.ToString()));
        GatewayClient = _gateway.CreateClient();

        _observer = Bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, endpoint =>
        {
            endpoint.Handler<TrialStored>(context => { Stored.Enqueue(context.Message); return Task.CompletedTask; });
            endpoint.Handler<TrialRejected>(context => { Rejected.Enqueue(context.Message); return Task.CompletedTask; });
            endpoint.Handler<PairsMined>(context => { Mined.Enqueue(context.Message); return Task.CompletedTask; });
        });
        await _observer.Ready;
    }

    /// <summary>Adds the local development API key, which write endpoints require.</summary>
    public static HttpContent WithApiKey(HttpContent content)
    {
        content.Headers.Add(ApiKeys.HeaderName, ApiKeys.LocalDevelopmentKey);
        return content;
    }

    /// <summary>Waits until <paramref name="count"/> events match, failing the test after the timeout.</summary>
    public static async Task<IReadOnlyList<T>> WaitForAsync<T>(ConcurrentQueue<T> events, Func<T, bool> match, int count = 1, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var found = events.Where(match).ToList();
            if (found.Count >= count) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"expected {count} {typeof(T).Name} event(s), saw {found.Count} within {timeoutSeconds} s");
            await Task.Delay(25);
        }
    }

    public async Task DisposeAsync()
    {
        if (_observer is not null) await _observer.StopAsync();
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_pairMiner is not null) await _pairMiner.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveServicesCollection : ICollectionFixture<LiveServices>
{
    public const string Name = "live services";
}
