using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.RolloutGenerator.Tests;
using MassTransit;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// rollout-generator as a separate process on the live broker and the test database, killed with SIGKILL in the middle
/// of a request and started again: the request's groups all arrive, each generated once in effect.
/// </summary>
public sealed class Rolling_out_on_the_live_broker : IAsyncLifetime
{
    private const string Url = "http://127.0.0.1:5181";
    private readonly TinyPolicies _policies = new();
    private readonly ConcurrentQueue<RolloutsGenerated> _generated = new();
    private readonly StringBuilder _log = new();
    private IBusControl _bus = null!;
    private Process? _process;

    public async Task InitializeAsync()
    {
        await ReinforcementQueues.EnterAsync();
        _bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host("127.0.0.1", 5672, LiveServices.VirtualHost, h =>
            {
                h.Username("deepimagine");
                h.Password("deepimagine");
            });
            rabbit.ReceiveEndpoint(new TemporaryEndpointDefinition(), e => e.Handler<RolloutsGenerated>(context =>
            {
                _generated.Enqueue(context.Message);
                return Task.CompletedTask;
            }));
        });
        await _bus.StartAsync();
    }

    private async Task StartAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var bin = Path.Combine(Tests.RepoRoot.Path, "services/rollout-generator/DeepImagine.RolloutGenerator/bin", configuration, "net10.0");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(bin, "DeepImagine.RolloutGenerator.dll")])
        {
            WorkingDirectory = bin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__deepimagine"] = LiveServices.ConnectionString;
        start.Environment["RabbitMq__VirtualHost"] = LiveServices.VirtualHost;
        start.Environment["RolloutGenerator__ModelStore"] = _policies.Root;
        start.Environment["RolloutGenerator__MaxPromptsInFlight"] = "1";
        start.Environment["Urls"] = Url;
        start.Environment["DEEPIMAGINE_DEVICE"] = "cpu";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"rollout-generator exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"rollout-generator did not become healthy within 90 s:\n{Log}");
    }

    private string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private static async Task<int> StoredAsync(Guid batchId)
    {
        await using var connection = new NpgsqlConnection(LiveServices.ConnectionString);
        return await connection.ExecuteScalarAsync<int>("select count(*) from rollout_generator.rollout_groups where batch_id = @batchId", new { batchId });
    }

    [Fact]
    public async Task A_worker_killed_mid_request_leaves_every_group_generated_once_after_the_redelivery()
    {
        var version = _policies.PublishPolicy(seed: 3).Manifest.Version;
        await StartAsync();
        var firstPid = _process!.Id;
        // Six single-prompt requests on the queue (split by the service), long enough that the kill lands mid-batch.
        var request = new RolloutsRequested(Guid.NewGuid(), Guid.NewGuid(), TinyPolicies.PolicyName, version, 4, new SamplingSettings(160, 1.0, 1.0, 0, null),
            Enumerable.Range(0, 6).Select(i => new RolloutPrompt(Guid.NewGuid(), Guid.NewGuid(), "You imagine one step.", $"Dose {i + 1}0 mg to {i + 2}0 mg: how does the response change?")).ToList(),
            DateTimeOffset.UtcNow);
        var groupIds = request.Prompts.Select(p => p.GroupId).ToHashSet();
        await _bus.Publish(request);

        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!_generated.Any(g => g.BatchId == request.BatchId))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no group within 180 s:\n{Log}");
            await Task.Delay(20);
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        var storedAtKill = await StoredAsync(request.BatchId);
        Assert.InRange(storedAtKill, 1, 5); // killed with work left

        await StartAsync();
        deadline = DateTime.UtcNow.AddSeconds(300);
        while (_generated.Where(g => g.BatchId == request.BatchId).Select(g => g.GroupId).Distinct().Count() < 6)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not every group within 300 s:\n{Log}");
            await Task.Delay(50);
        }

        Assert.Equal(6, await StoredAsync(request.BatchId));
        var announcements = _generated.Where(g => g.BatchId == request.BatchId).ToList();
        Assert.All(announcements, a => Assert.Contains(a.GroupId, groupIds));
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        foreach (var group in announcements.GroupBy(a => a.GroupId))
        {
            // Announced twice at most when the kill fell between publishing and recording it; then with the same completions.
            Assert.Single(group.Select(a => string.Join("\u0001", a.Completions.Select(c => c.Text))).Distinct());
            var view = await http.GetFromJsonAsync<RolloutGroupView>($"/api/rollouts/{group.Key}");
            Assert.Equal(group.First().Completions.Select(c => c.TokenCount), view!.Completions.Select(c => c.TokenIds.Count));
            Assert.Equal(group.First().Worker, view.Worker);
        }
        var workers = announcements.Select(a => a.Worker).Distinct().ToList();
        Assert.Contains(workers, w => w.EndsWith($":{firstPid}", StringComparison.Ordinal));
        Assert.Contains(workers, w => w.EndsWith($":{_process.Id}", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await _bus.StopAsync();
        _policies.Dispose();
        ReinforcementQueues.Exit();
    }
}
