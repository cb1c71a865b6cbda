extern alias gateway;

using System.Net.Http.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Tests;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// gpu-learner as a separate process (started, killed with SIGKILL, restarted by the tests) on the live broker and the
/// test database, with a temporary model store holding a tiny base model, a stand-in for trace-generator's datasets API
/// serving a small learnable dataset, and the gateway in front of it.
/// </summary>
public sealed class LearnerProcess : IAsyncLifetime
{
    public const string Url = "http://127.0.0.1:5176";
    /// <summary>Where grpo jobs of this learner read generated tokens (a test starts rollout-generator there).</summary>
    public const string RolloutGeneratorUrl = "http://127.0.0.1:5178";
    private WebApplication? _datasets;
    private WebApplicationFactory<gateway::Program>? _gateway;
    private ServiceProcess? _service;

    public FakeDatasets Datasets { get; } = new();
    public TinyStore Store { get; private set; } = null!;
    public HttpClient GatewayClient { get; private set; } = null!;
    public HttpClient LearnerClient { get; } = new() { BaseAddress = new Uri(Url) };
    public string TraceGeneratorUrl { get; private set; } = "";

    public string Log => _service?.Log ?? "";

    public async Task InitializeAsync()
    {
        Store = new TinyStore(Datasets);
        await CancelLeftoverJobsAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _datasets = builder.Build();
        _datasets.MapGet("/api/datasets/{id:guid}", async (Guid id) =>
            await Datasets.DescribeAsync(id, default) is { } d ? Results.Json(d) : Results.NotFound());
        _datasets.MapGet("/api/datasets/{id:guid}/examples", async (Guid id, string split, string? factor, Guid? after, int? limit) =>
        {
            var all = await Datasets.ExamplesAsync(id, split, factor, default);
            var start = after is null ? 0 : all.ToList().FindIndex(e => e.ExampleId == after) + 1;
            return Results.Json(all.Skip(start).Take(limit ?? 100));
        });
        _datasets.MapGet("/api/datasets/{id:guid}/corpus", async (Guid id, string split) =>
            Results.Json((await Datasets.CorpusAsync(id, split, default)).Select((t, i) => new CorpusDocument($"T{i}", split, t))));
        // Verifiable prompts, for grpo jobs (paged as trace-generator pages them) and for reward-verifier's gold answers.
        _datasets.MapGet("/api/datasets/{id:guid}/prompts", async (Guid id, string split, Guid? after, int? limit) =>
        {
            var all = await Datasets.PromptsAsync(id, split, default);
            var start = after is null ? 0 : all.ToList().FindIndex(p => p.PromptId == after) + 1;
            return Results.Json(all.Skip(start).Take(limit ?? 100));
        });
        _datasets.MapGet("/api/prompts/{id:guid}", async (Guid id) =>
        {
            foreach (var split in new[] { "train", "validation", "test" })
                if ((await Datasets.PromptsAsync(FakeDatasets.DatasetId, split, default)).FirstOrDefault(p => p.PromptId == id) is { } prompt) return Results.Json(prompt);
            return Results.NotFound();
        });
        await _datasets.StartAsync();
        TraceGeneratorUrl = _datasets.Urls.First();

        Environment.SetEnvironmentVariable("ReverseProxy__Clusters__gpu-learner__Destinations__primary__Address", Url);
        _gateway = new WebApplicationFactory<gateway::Program>();
        GatewayClient = _gateway.CreateClient();
        await StartAsync();
    }

    /// <summary>Jobs other runs left queued or running would be picked up first by this learner; they are not this store's.</summary>
    private static async Task CancelLeftoverJobsAsync()
    {
        await using var connection = new NpgsqlConnection(LiveServices.ConnectionString);
        var exists = await connection.ExecuteScalarAsync<bool>("select to_regclass('gpu_learner.jobs') is not null");
        if (exists) await connection.ExecuteAsync("update gpu_learner.jobs set status = 'cancelled', finished_at = now() where status in ('queued', 'running')");
    }

    /// <summary>Starts the learner (the Release or Debug build next to this test build) and waits for /health.</summary>
    public async Task StartAsync() => _service = await ServiceProcess.StartAsync("services/gpu-learner/DeepImagine.GpuLearner", Url, new Dictionary<string, string>
        {
            ["GpuLearner__ModelStore"] = Store.Root,
            ["GpuLearner__TraceGenerator"] = TraceGeneratorUrl,
            ["GpuLearner__ProgressIntervalSeconds"] = "0.2",
            ["GpuLearner__PollSeconds"] = "0.5",
            ["GpuLearner__RolloutGenerator"] = RolloutGeneratorUrl,
            ["GpuLearner__RolloutTimeoutSeconds"] = "120",
        });

    /// <summary>SIGKILL: no shutdown hooks, no last checkpoint: what a crash or an OOM kill does.</summary>
    public async Task KillAsync() => await _service!.DisposeAsync();

    public static HttpRequestMessage Submit(SubmitJobRequest request, bool withKey = true)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(request) };
        if (withKey) message.Headers.Add(ApiKeys.HeaderName, ApiKeys.LocalDevelopmentKey);
        return message;
    }

    public async Task<JobView> WaitForJobAsync(HttpClient client, Guid jobId, Func<JobView, bool> until, int timeoutSeconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var response = await client.GetAsync($"/api/jobs/{jobId}");
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<JobView>() is { } job && until(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {jobId} did not reach the expected state within {timeoutSeconds} s:\n{Log}");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_service is not null) await _service.DisposeAsync();
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_datasets is not null) await _datasets.DisposeAsync();
        Store.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class LearnerProcessCollection : ICollectionFixture<LearnerProcess>
{
    public const string Name = "learner process";
}
