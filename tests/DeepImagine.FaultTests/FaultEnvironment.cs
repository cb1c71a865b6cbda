using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using DeepImagine.ServiceDefaults;
using DeepImagine.Tests;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepImagine.FaultTests;

/// <summary>
/// The private broker and database of infra/faults/faults-infra.sh (loopback, their own ports), and per scenario a
/// fresh virtual host and database, so scenarios never see each other's messages or rows.
/// </summary>
internal static class FaultEnvironment
{
    public static int AmqpPort { get; } = Port("FAULTS_AMQP_PORT", 5674);
    public static int ManagementPort { get; } = Port("FAULTS_MANAGEMENT_PORT", 15674);
    public static int PostgresPort { get; } = Port("FAULTS_PG_PORT", 5434);
    public static int PairMinerPort { get; } = Port("FAULTS_PAIR_MINER_PORT", 5181);
    public const string User = "deepimagine";
    public const string Password = "deepimagine";
    public static string Scratch { get; } = Environment.GetEnvironmentVariable("FAULTS_SCRATCH") ?? Path.Combine(RepoRoot.Path, ".run", "faults");

    private static int Port(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) ? port : fallback;

    /// <summary>Runs one command of the infrastructure script (up, restart-rabbitmq, restart-postgresql, …).</summary>
    public static async Task InfraAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepoRoot.Path, "infra", "faults", "faults-infra.sh"), command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        if (process.ExitCode != 0) throw new InvalidOperationException($"faults-infra.sh {command} failed ({process.ExitCode}): {await output}{await error}");
    }

    public static HttpClient Management()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ManagementPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        return http;
    }

    public static async Task<Scenario> CreateScenarioAsync(string name)
    {
        var vhost = "faults-" + name;
        var database = "faults_" + name.Replace('-', '_');
        using (var http = Management())
        {
            var escaped = Uri.EscapeDataString(vhost);
            await http.DeleteAsync($"api/vhosts/{escaped}");
            (await http.PutAsync($"api/vhosts/{escaped}", null)).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"api/permissions/{escaped}/{User}", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        }
        await using (var admin = new NpgsqlConnection($"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=postgres;Pooling=false"))
        {
            await admin.ExecuteAsync($"drop database if exists {database} with (force)");
            await admin.ExecuteAsync($"create database {database} owner {User}");
        }
        var rabbit = new RabbitMqOptions { Host = "127.0.0.1", Port = (ushort)AmqpPort, VirtualHost = vhost, Username = User, Password = Password };
        var connectionString = $"Host=127.0.0.1;Port={PostgresPort};Database={database};Username={User};Password={Password};Maximum Pool Size=40";
        return new Scenario(name, rabbit, connectionString);
    }
}

/// <summary>One scenario's virtual host, database, pair-miner process and publishing bus.</summary>
internal sealed class Scenario(string name, RabbitMqOptions rabbit, string connectionString) : IAsyncDisposable
{
    private Process? _pairMiner;
    private IHost? _publisher;
    private bool _disposed;
    private readonly HashSet<int> _killedOnPurpose = [];

    public string Name => name;
    public RabbitMqOptions Rabbit => rabbit;
    public string ConnectionString => connectionString;
    /// <summary>pair-miner processes that ended without being killed on purpose, other than by its bus watchdog.</summary>
    public int Crashes { get; private set; }

    /// <summary>
    /// pair-miner processes that ended with the bus watchdog's exit code (75) and were started again, as a supervisor
    /// (services.sh, compose's <c>restart:</c>) does.
    /// </summary>
    public int WatchdogRestarts { get; private set; }

    /// <summary>Times the publisher's bus was replaced because a chunk of publishes did not finish (see FaultRun).</summary>
    public int PublisherRestarts { get; private set; }
    public string LogPath => Path.Combine(FaultEnvironment.Scratch, $"pair-miner-{name}.log");

    public IBus Bus => _publisher!.Services.GetRequiredService<IBus>();

    /// <summary>Starts pair-miner as its own process (so it can be killed with SIGKILL) and waits until it is healthy.</summary>
    public async Task StartPairMinerAsync()
    {
        var dll = Path.Combine(RepoRoot.Path, "services", "pair-miner", "DeepImagine.PairMiner", "bin", "Release", "net10.0", "DeepImagine.PairMiner.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"pair-miner is not built: {dll} (make test-faults builds it)", dll);
        var start = new ProcessStartInfo("bash", ["-c", $"exec dotnet '{dll}' >>'{LogPath}' 2>&1"]);
        start.Environment["ConnectionStrings__deepimagine"] = connectionString;
        start.Environment["RabbitMq__Host"] = rabbit.Host;
        start.Environment["RabbitMq__Port"] = rabbit.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RabbitMq__VirtualHost"] = rabbit.VirtualHost;
        start.Environment["RabbitMq__Username"] = rabbit.Username;
        start.Environment["RabbitMq__Password"] = rabbit.Password;
        start.Environment["Urls"] = $"http://127.0.0.1:{FaultEnvironment.PairMinerPort}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // pair-miner's consumers take milliseconds: a minute without finishing is a wedged bus (see BusWatchdog).
        start.Environment["RabbitMq__StallTimeout"] = "00:01:00";
        // Endpoint start/stop and reconnects, to tell after a failed run whether consumers came back.
        start.Environment["Logging__LogLevel__MassTransit"] = "Debug";
        _pairMiner = Process.Start(start)!;
        _pairMiner.EnableRaisingEvents = true;
        var process = _pairMiner;
        process.Exited += (_, _) =>
        {
            lock (_killedOnPurpose)
            {
                if (_killedOnPurpose.Contains(process.Id) || _disposed) return;
                if (process.ExitCode != BusWatchdog.ExitCode)
                {
                    Crashes++;
                    return;
                }
                WatchdogRestarts++;
            }
            _ = Task.Run(StartPairMinerAsync);
        };
        await WaitHealthyAsync(TimeSpan.FromSeconds(120));
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_pairMiner is { HasExited: true }) throw new InvalidOperationException($"pair-miner exited ({_pairMiner.ExitCode}); see {LogPath}");
            try
            {
                if (await http.GetStringAsync($"http://127.0.0.1:{FaultEnvironment.PairMinerPort}/health") == "Healthy") return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not up yet
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"pair-miner was not healthy within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>kill -9: no shutdown, no acknowledgements; what it held unacknowledged is redelivered.</summary>
    public async Task KillPairMinerAsync()
    {
        var process = _pairMiner!;
        lock (_killedOnPurpose) _killedOnPurpose.Add(process.Id);
        process.Kill(); // SIGKILL on Unix
        await process.WaitForExitAsync();
    }

    public async Task<bool> PairMinerAnswersAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return await http.GetStringAsync($"http://127.0.0.1:{FaultEnvironment.PairMinerPort}/alive") == "Healthy";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>A publishing bus like the CLI's (MassTransit, confirms, durable, persistent) on the scenario's vhost.</summary>
    public async Task StartPublisherAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{RabbitMqOptions.SectionName}:Host"] = rabbit.Host,
            [$"{RabbitMqOptions.SectionName}:Port"] = rabbit.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{RabbitMqOptions.SectionName}:VirtualHost"] = rabbit.VirtualHost,
            [$"{RabbitMqOptions.SectionName}:Username"] = rabbit.Username,
            [$"{RabbitMqOptions.SectionName}:Password"] = rabbit.Password,
        });
        builder.Logging.ClearProviders();
        // The publisher's own reconnects, beside pair-miner's log, to tell after a failed run which side stalled.
        builder.Logging.AddProvider(new FileLoggerProvider(Path.Combine(FaultEnvironment.Scratch, $"publisher-{name}.log")));
        builder.Logging.AddFilter("MassTransit", LogLevel.Debug).AddFilter("MassTransit.Messages", LogLevel.Information);
        // An external system's publisher, not a supervised service: no watchdog; RestartPublisherAsync stands in for one.
        builder.AddMessageBus(watchdog: false);
        _publisher = builder.Build();
        await _publisher.StartAsync();
    }

    /// <summary>
    /// Replaces the publisher's bus with a fresh one, as a supervised external publisher would when its publishes stop
    /// finishing (MassTransit over RabbitMQ.Client 7.2 can wedge after a broker restart; a stopped bus cannot restart).
    /// </summary>
    public async Task RestartPublisherAsync()
    {
        var old = _publisher;
        PublisherRestarts++;
        await StartPublisherAsync();
        if (old is null) return;
        // A wedged bus may not stop cleanly; do not wait on it for long.
        await Task.WhenAny(old.StopAsync(CancellationToken.None), Task.Delay(TimeSpan.FromSeconds(15)));
        old.Dispose();
    }

    /// <summary>Messages in a queue (ready + unacknowledged), from the management API; 0 for a queue not yet declared.</summary>
    public async Task<long> QueueDepthAsync(string queue)
    {
        using var http = FaultEnvironment.Management();
        var response = await http.GetAsync($"api/queues/{Uri.EscapeDataString(rabbit.VirtualHost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return 0;
        response.EnsureSuccessStatusCode();
        var q = await response.Content.ReadFromJsonAsync<JsonElement>();
        return q.TryGetProperty("messages", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0;
    }

    public ErrorQueues ErrorQueues => new(rabbit, new Uri($"http://127.0.0.1:{FaultEnvironment.ManagementPort}/"));

    /// <summary>The runner's own connection: pair-miner's tables are in its schema once it has one (pair_miner), else in public.</summary>
    public NpgsqlConnection Database() => new(connectionString + ";Search Path=pair_miner,public;Pooling=false");

    public async ValueTask DisposeAsync()
    {
        lock (_killedOnPurpose) _disposed = true;
        if (_publisher is not null)
        {
            await _publisher.StopAsync(CancellationToken.None);
            _publisher.Dispose();
        }
        if (_pairMiner is { HasExited: false })
        {
            lock (_killedOnPurpose) _killedOnPurpose.Add(_pairMiner.Id);
            _pairMiner.Kill();
            await _pairMiner.WaitForExitAsync();
        }
    }
}

/// <summary>Appends log lines to one file (the fault run's publisher log); no library logger writes files.</summary>
internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    private void Write(string line)
    {
        lock (_gate) _writer.WriteLine(line);
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
    }
}
