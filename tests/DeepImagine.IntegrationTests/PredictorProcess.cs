extern alias gateway;

using Dapper;
using DeepImagine.Predictor.Tests;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// The predictor as a separate process (so a test can kill -9 it and start it again) on the live broker and the test
/// database, with a temporary model store holding a tiny base model and an arm operator, and the gateway in front.
/// Its schema is dropped once per run (its migrations recreate it).
/// </summary>
public sealed class PredictorProcess : IAsyncLifetime
{
    public const string Url = "http://127.0.0.1:5141";
    private WebApplicationFactory<gateway::Program>? _gateway;
    private ServiceProcess? _service;

    public TinyOperators Store { get; } = new(withBase: true, "arm");
    public HttpClient GatewayClient { get; private set; } = null!;
    public HttpClient PredictorClient { get; } = new() { BaseAddress = new Uri(Url) };

    public string Log => _service?.Log ?? "";

    public async Task InitializeAsync()
    {
        await using (var connection = new NpgsqlConnection(LiveServices.ConnectionString))
        {
            await connection.ExecuteAsync("drop schema if exists predictor cascade");
        }
        Environment.SetEnvironmentVariable("ReverseProxy__Clusters__predictor__Destinations__primary__Address", Url);
        _gateway = new WebApplicationFactory<gateway::Program>();
        GatewayClient = _gateway.CreateClient();
        await StartAsync();
    }

    /// <summary>Starts the predictor (the build next to this test build) and waits for /health.</summary>
    public async Task StartAsync() => _service = await ServiceProcess.StartAsync("services/predictor/DeepImagine.Predictor", Url, new Dictionary<string, string>
        {
            ["Predictor__ModelStore"] = Store.Root,
            ["Predictor__BaseModel"] = TinyOperators.BaseName,
            ["Predictor__MaxNewTokens"] = "16",
        });

    /// <summary>SIGKILL: no shutdown hooks, whatever was in flight is lost.</summary>
    public async Task KillAsync() => await _service!.DisposeAsync();

    public async Task DisposeAsync()
    {
        if (_service is not null) await _service.DisposeAsync();
        if (_gateway is not null) await _gateway.DisposeAsync();
        Store.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PredictorProcessCollection : ICollectionFixture<PredictorProcess>
{
    public const string Name = "predictor process";
}
