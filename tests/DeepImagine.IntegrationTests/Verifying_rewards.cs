extern alias tracegenerator;
extern alias rewardverifier;
extern alias gateway;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining.Questions;
using DeepImagine.Persistence;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// Verifiable prompts and rewards on the live broker and database: a trial imported through pair-miner becomes question
/// prompts in trace-generator, a generated group of answers to one of them is scored by reward-verifier (which reads the
/// gold answer from trace-generator's API), announced once, and served for audit, directly and through the gateway.
/// </summary>
[Collection(LiveServicesCollection.Name)]
public sealed class Verifying_rewards(LiveServices services) : IAsyncLifetime
{
    private WebApplicationFactory<tracegenerator::Program> _traceGenerator = null!;
    private WebApplicationFactory<rewardverifier::Program> _rewardVerifier = null!;
    private WebApplicationFactory<gateway::Program> _gateway = null!;
    private HttpClient _prompts = null!;
    private HttpClient _rewards = null!;
    private readonly ConcurrentQueue<RewardsVerified> _verified = new();

    public async Task InitializeAsync()
    {
        await ReinforcementQueues.EnterAsync();
        await using (var connection = new NpgsqlConnection(LiveServices.ConnectionString))
        {
            await connection.ExecuteAsync($"drop schema if exists {DeepImagine.RewardVerifier.RewardVerifierServiceExtensions.Schema} cascade");
        }
        _traceGenerator = new WebApplicationFactory<tracegenerator::Program>().WithWebHostBuilder(host => host
            .UseSetting($"ConnectionStrings:{ServiceSchema.ConnectionStringName}", LiveServices.ConnectionString)
            .UseSetting("RabbitMq:VirtualHost", LiveServices.VirtualHost)
            .UseSetting("Services:PairMiner", services.PairMinerClient.BaseAddress!.ToString())
            // The start-up backfill (tested in DeepImagine.TraceGenerator.Tests) would add the other tests' trials while this one counts.
            .UseSetting("TraceGeneration:Backfill", "false")
            .UseSetting("Urls", "http://127.0.0.1:0"));
        _traceGenerator.UseKestrel(0);
        _traceGenerator.StartServer();
        _prompts = _traceGenerator.CreateClient();

        _rewardVerifier = new WebApplicationFactory<rewardverifier::Program>().WithWebHostBuilder(host => host
            .UseSetting($"ConnectionStrings:{ServiceSchema.ConnectionStringName}", LiveServices.ConnectionString)
            .UseSetting("RabbitMq:VirtualHost", LiveServices.VirtualHost)
            .UseSetting("Services:TraceGenerator", _prompts.BaseAddress!.ToString())
            .UseSetting("Urls", "http://127.0.0.1:0"));
        _rewardVerifier.UseKestrel(0);
        _rewardVerifier.StartServer();
        _rewards = _rewardVerifier.CreateClient();

        _gateway = new WebApplicationFactory<gateway::Program>().WithWebHostBuilder(host => host
            .UseSetting("ReverseProxy:Clusters:trace-generator:Destinations:primary:Address", _prompts.BaseAddress!.ToString())
            .UseSetting("ReverseProxy:Clusters:reward-verifier:Destinations:primary:Address", _rewards.BaseAddress!.ToString()));

        var observer = _rewardVerifier.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            endpoint => endpoint.Handler<RewardsVerified>(context => { _verified.Enqueue(context.Message); return Task.CompletedTask; }));
        await observer.Ready;
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _gateway.DisposeAsync();
            await _rewardVerifier.DisposeAsync();
            await _traceGenerator.DisposeAsync();
        }
        finally
        {
            ReinforcementQueues.Exit();
        }
    }

    [Fact]
    public async Task An_imported_trial_gives_question_prompts_whose_answers_are_scored_once_and_served_for_audit()
    {
        // A new version of NCT00738400 (vardenafil beat placebo on its primary endpoint, p < 0.0001), so it is mined and announced again.
        var record = RepoData.V2Record("NCT00738400");
        var marker = $"(rewards {NewId.NextGuid():N}) ";
        await services.Bus.Publish((record with { Text = record.Text.Replace("\"briefTitle\":\"", "\"briefTitle\":\"" + marker, StringComparison.Ordinal) }).ToMessage(NewId.NextGuid()));

        var datasetId = DeepImagine.TraceGenerator.Examples.StepExample.DatasetIdOf($"steps-v{DeepImagine.Imagining.StepFormat.TemplateVersion}");
        var superiority = await PollAsync(async () =>
        {
            var response = await _prompts.GetAsync($"/api/datasets/{datasetId}/prompts?kind={VerifiablePromptKinds.Superiority}&limit=1000");
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            var page = await response.Content.ReadFromJsonAsync<List<VerifiablePromptRecord>>();
            return page!.FirstOrDefault(p => p.SourceIds.Contains("NCT00738400") && p.Prompt.Contains(marker, StringComparison.Ordinal)
                                            && p.Prompt.Contains("Endpoint (primary): Change From Baseline in International Index of Erectile Function", StringComparison.Ordinal));
        });
        Assert.Equal(0, superiority.Gold.OptionIndex);
        Assert.Equal(QuestionPrompt.SystemText, superiority.System);
        var viaGateway = await _gateway.CreateClient().GetFromJsonAsync<VerifiablePromptRecord>($"/api/prompts/{superiority.PromptId}");
        Assert.Equal(superiority.Prompt, viaGateway!.Prompt);
        var summary = await _prompts.GetFromJsonAsync<DatasetSummary>($"/api/datasets/{datasetId}");
        Assert.Contains(summary!.Prompts!, c => c.Kind == VerifiablePromptKinds.Superiority && c.Prompts > 0);

        var group = new RolloutsGenerated(NewId.NextGuid(), NewId.NextGuid(), NewId.NextGuid(), superiority.PromptId, "policy", 1,
        [
            new RolloutCompletion(0, "Vardenafil works.\nANSWER: 1", 8, "eos"),
            new RolloutCompletion(1, "ANSWER: 2", 4, "eos"),
            new RolloutCompletion(2, "Hmm", 2, "length"),
        ], "worker-test", 50, DateTimeOffset.UtcNow);
        await services.Bus.Publish(group);
        var verified = (await LiveServices.WaitForAsync(_verified, v => v.GroupId == group.GroupId)).Single();
        Assert.Equal([1.0, 0.0, -1.0], verified.Rewards.Select(r => r.Reward!.Value));
        Assert.True(verified.Rewards[0].Advantage > 0 && verified.Rewards[2].Advantage < 0);

        // Redelivered: nothing new is announced; the audit trail serves the group once, directly and through the gateway.
        await services.Bus.Publish(group);
        var stored = await PollAsync(async () => await _rewards.GetFromJsonAsync<VerifiedGroupView>($"/api/rewards/groups/{group.GroupId}") is { PublishedAt: not null } g ? g : null);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(_verified, v => v.GroupId == group.GroupId);
        Assert.Equal(group.Completions.Select(c => c.Text), stored.Completions.Select(c => c.Text));
        Assert.Equal(verified.Rewards.Select(r => r.Advantage), stored.Completions.Select(c => c.Advantage));
        var gateway = _gateway.CreateClient();
        var listed = await gateway.GetFromJsonAsync<List<VerifiedGroupView>>($"/api/rewards?jobId={group.JobId}");
        Assert.Equal([group.GroupId], listed!.Select(g => g.GroupId));
        Assert.Contains("/api/rewards/groups/{groupId}", await gateway.GetStringAsync("/openapi/reward-verifier.json"), StringComparison.Ordinal);
        Assert.Contains("/api/prompts/{promptId}", await gateway.GetStringAsync("/openapi/trace-generator.json"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/datasets/{0}/prompts?kind=riddle", "kind")]
    [InlineData("/api/datasets/{0}/prompts?split=training", "split")]
    [InlineData("/api/datasets/{0}/prompts?limit=0", "limit")]
    [InlineData("/api/datasets/{0}/prompts?after=00000000-0000-0000-0000-000000000001", "after")]
    public async Task A_bad_prompts_query_is_refused_naming_the_field(string path, string field)
    {
        var name = "prompts-" + Guid.NewGuid().ToString("N")[..8];
        var datasetId = await _traceGenerator.Services.GetRequiredService<DeepImagine.TraceGenerator.Data.DatasetRepository>().EnsureDatasetAsync(name, 1, CancellationToken.None);

        var response = await _prompts.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, datasetId));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Unknown_prompts_groups_and_bad_reward_queries_are_answered_plainly()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _prompts.GetAsync($"/api/prompts/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _rewards.GetAsync($"/api/rewards/groups/{Guid.NewGuid()}")).StatusCode);
        var badLimit = await _rewards.GetAsync("/api/rewards?limit=100000");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal("limit", (await badLimit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _rewards.GetAsync("/health")).StatusCode);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> read, int timeoutSeconds = 120) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            if (await read() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {typeof(T).Name} within {timeoutSeconds} s");
            await Task.Delay(100);
        }
    }
}
