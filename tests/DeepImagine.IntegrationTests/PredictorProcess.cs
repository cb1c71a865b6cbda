extern alias gateway;

using System.Diagnostics;
using System.Text;
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
    private Process? _process;
    private readonly StringBuilder _log = new();

    public TinyOperators Store { get; } = new(withBase: true, "arm");
    public HttpClient GatewayClient { get; private set; } = null!;
    public HttpClient PredictorClient { get; } = new() { BaseAddress = new Uri(Url) };

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

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
    public async Task StartAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var bin = Path.Combine(Tests.RepoRoot.Path, "services/predictor/DeepImagine.Predictor/bin", configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(bin, "DeepImagine.Predictor.dll")])
        {
            WorkingDirectory = bin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__deepimagine"] = LiveServices.ConnectionString;
        start.Environment["RabbitMq__VirtualHost"] = LiveServices.VirtualHost;
        start.Environment["Predictor__ModelStore"] = Store.Root;
        start.Environment["Predictor__BaseModel"] = TinyOperators.BaseName;
        start.Environment["Predictor__MaxNewTokens"] = "16";
        start.Environment["Urls"] = Url;
        start.Environment["DEEPIMAGINE_DEVICE"] = "cpu";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"predictor exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await PredictorClient.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"predictor did not become healthy within 90 s:\n{Log}");
    }

    /// <summary>SIGKILL: no shutdown hooks, whatever was in flight is lost.</summary>
    public async Task KillAsync()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false }) await KillAsync();
        if (_gateway is not null) await _gateway.DisposeAsync();
        Store.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PredictorProcessCollection : ICollectionFixture<PredictorProcess>
{
    public const string Name = "predictor process";
}
