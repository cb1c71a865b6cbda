using System.Diagnostics;
using System.Text;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// A built service (the Release or Debug build beside this test build) run as its own process on the test database and
/// vhost, with the given settings; started and healthy, or a failure that shows its log.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private bool _disposed;

    private ServiceProcess(Process process) => _process = process;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<ServiceProcess> StartAsync(string projectFolder, string url, IReadOnlyDictionary<string, string> settings)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var bin = Path.Combine(Tests.RepoRoot.Path, projectFolder, "bin", configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(bin, Path.GetFileName(projectFolder) + ".dll")])
        {
            WorkingDirectory = bin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__deepimagine"] = LiveServices.ConnectionString;
        start.Environment["RabbitMq__VirtualHost"] = LiveServices.VirtualHost;
        start.Environment["Urls"] = url;
        start.Environment["DEEPIMAGINE_DEVICE"] = "cpu";
        foreach (var (name, value) in settings) start.Environment[name] = value;
        var service = new ServiceProcess(Process.Start(start)!);
        service._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (service._log) service._log.AppendLine(e.Data); };
        service._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (service._log) service._log.AppendLine(e.Data); };
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (service._process.HasExited) throw new InvalidOperationException($"{projectFolder} exited with {service._process.ExitCode}:\n{service.Log}");
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        await service.DisposeAsync();
        throw new TimeoutException($"{projectFolder} did not become healthy within 90 s:\n{service.Log}");
    }

    /// <summary>SIGKILL (no shutdown hooks, whatever was in flight is lost); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>
/// The reinforcement-learning queues (rollouts requested, generated, rewards verified) have one consumer group per vhost:
/// a test that starts rollout-generator or reward-verifier holds this while it runs, so another collection's worker
/// (with another model store or another prompt source) cannot take its messages, nor drop a schema under it.
/// </summary>
public static class ReinforcementQueues
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static Task EnterAsync() => Gate.WaitAsync(TimeSpan.FromMinutes(10)).ContinueWith(t =>
    {
        if (!t.Result) throw new TimeoutException("another test held the reinforcement queues for 10 minutes");
    }, TaskScheduler.Default);

    public static void Exit() => Gate.Release();
}
