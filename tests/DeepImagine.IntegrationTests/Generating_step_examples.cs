extern alias tracegenerator;
extern alias gateway;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Persistence;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using DeepImagine.TraceGenerator.Consuming;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// trace-generator on the live broker and database beside pair-miner: bundled trials are imported, mined, and become a
/// dataset of step examples that the learner reads through the API (directly and through the gateway).
/// </summary>
[Collection(LiveServicesCollection.Name)]
public sealed class Generating_step_examples(LiveServices services) : IAsyncLifetime
{
    private WebApplicationFactory<tracegenerator::Program> _traceGenerator = null!;
    private WebApplicationFactory<gateway::Program> _gateway = null!;
    private HttpClient _client = null!;
    private readonly ConcurrentQueue<SftExamplesReady> _ready = new();
    private readonly ConcurrentQueue<PairsMined> _consumed = new();

    public async Task InitializeAsync()
    {
        await using (var connection = new NpgsqlConnection(LiveServices.ConnectionString))
        {
            await connection.ExecuteAsync("drop schema if exists trace_generator cascade");
        }
        // PairsMined of other tests' trials wait in the durable queue while no trace-generator runs: start without them.
        var rabbit = services.RabbitMq;
        var factory = new ConnectionFactory { HostName = rabbit.Host, Port = rabbit.Port, VirtualHost = rabbit.VirtualHost, UserName = rabbit.Username, Password = rabbit.Password };
        await using (var rabbitConnection = await factory.CreateConnectionAsync())
        await using (var channel = await rabbitConnection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(PairsMinedConsumerDefinition.QueueName);
        }
        // The test database, vhost and pair-miner of this run: never the defaults of appsettings.json (the shared ones).
        _traceGenerator = new WebApplicationFactory<tracegenerator::Program>().WithWebHostBuilder(host => host
            .UseSetting($"ConnectionStrings:{ServiceSchema.ConnectionStringName}", LiveServices.ConnectionString)
            .UseSetting("RabbitMq:VirtualHost", LiveServices.VirtualHost)
            .UseSetting("Services:PairMiner", services.PairMinerClient.BaseAddress!.ToString())
            // The start-up backfill (tested in DeepImagine.TraceGenerator.Tests) would add the other tests' trials while this one counts.
            .UseSetting("TraceGeneration:Backfill", "false")
            .UseSetting("Urls", "http://127.0.0.1:0"));
        _traceGenerator.UseKestrel(0);
        _traceGenerator.StartServer();
        _client = _traceGenerator.CreateClient();

        _gateway = new WebApplicationFactory<gateway::Program>().WithWebHostBuilder(host => host
            .UseSetting("ReverseProxy:Clusters:trace-generator:Destinations:primary:Address", _client.BaseAddress!.ToString()));

        var bus = _traceGenerator.Services.GetRequiredService<IBus>();
        bus.ConnectConsumeObserver(new PairsMinedObserver(_consumed));
        var observer = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, endpoint =>
            endpoint.Handler<SftExamplesReady>(context => { _ready.Enqueue(context.Message); return Task.CompletedTask; }));
        await observer.Ready;
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _traceGenerator.DisposeAsync();
    }

    [Fact]
    public async Task Evidence_inference_questions_posted_through_the_gateway_with_the_api_key_become_examples_and_prompts_once()
    {
        var gateway = _gateway.CreateClient();
        var pmcid = $"PMC-it-{Guid.NewGuid():N}";
        var firstId = Random.Shared.NextInt64(1_000_000_000, 2_000_000_000);
        var request = new EvidenceInferenceImportRequest(
        [
            new(pmcid, firstId, "drug A", "placebo", "pain score", "significantly decreased", 2),
            new(pmcid, firstId + 1, "drug A", "placebo", "nausea", "no significant difference", 1),
            new(pmcid, firstId + 2, "drug A", "placebo", "sleep hours", "significantly increased", 3),
        ]);

        var anonymous = await gateway.PostAsJsonAsync("/api/sources/evidence-inference", request);
        gateway.DefaultRequestHeaders.Add(DeepImagine.ServiceDefaults.ApiKeys.HeaderName, DeepImagine.ServiceDefaults.ApiKeys.LocalDevelopmentKey);
        var first = await (await gateway.PostAsJsonAsync("/api/sources/evidence-inference", request)).Content.ReadFromJsonAsync<EvidenceInferenceImportResult>();
        var second = await (await gateway.PostAsJsonAsync("/api/sources/evidence-inference", request)).Content.ReadFromJsonAsync<EvidenceInferenceImportResult>();
        var bad = await gateway.PostAsJsonAsync("/api/sources/evidence-inference",
            new EvidenceInferenceImportRequest([request.Questions[0] with { PromptId = firstId + 3, Outcome = " " }]));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal((3, 3, 6, 3), (first!.Questions, first.QuestionsAdded, first.ExamplesAdded, first.PromptsAdded));
        Assert.Equal((0, 0, 0), (second!.QuestionsAdded, second.ExamplesAdded, second.PromptsAdded));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains($"questions[0] (prompt_id {firstId + 3}): field 'outcome' is missing", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var examples = await gateway.GetFromJsonAsync<List<StepExampleRecord>>($"/api/datasets/{first.DatasetId}/examples?factor=arm&limit=1000");
        var ours = examples!.Where(e => e.TrialIds.SequenceEqual([pmcid])).ToList();
        Assert.Equal(6, ours.Count);
        Assert.Single(ours.Select(e => e.Split).Distinct()); // one article, one split
        Assert.Equal(["higher", "higher", "lower", "lower", "same", "same"], ours.Select(e => e.ExpectedDirection).Order());
        var openApi = await gateway.GetStringAsync("/openapi/trace-generator.json");
        Assert.Contains("/api/sources/evidence-inference", openApi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imported_trials_become_a_dataset_of_step_examples_readable_through_the_api_and_redelivery_adds_nothing()
    {
        var trials = new[] { NewVersion(RepoData.V2Record("NCT01037244")), NewVersion(RepoData.V2Record("NCT00931528")), NewVersion(RepoData.LegacyRecord("NCT02305381")) };
        var correlations = trials.Select(_ => NewId.NextGuid()).ToList();
        foreach (var (record, correlationId) in trials.Zip(correlations)) await services.Bus.Publish(record.ToMessage(correlationId));

        var ready = new List<SftExamplesReady>();
        foreach (var correlationId in correlations) ready.AddRange(await LiveServices.WaitForAsync(_ready, e => e.CorrelationId == correlationId, timeoutSeconds: 120));
        var datasetId = ready.Select(r => r.DatasetId).Distinct().Single();

        var datasets = await _client.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets");
        var dataset = Assert.Single(datasets!);
        Assert.Equal(datasetId, dataset.DatasetId);
        Assert.Equal($"steps-v{StepFormat.TemplateVersion}", dataset.Name);
        Assert.Equal(StepFormat.TemplateVersion, dataset.TemplateVersion);
        Assert.True(dataset.Trials >= 3, $"{dataset.Trials} trials"); // the three, and any stored trial they have approximate pairs with
        Assert.True(dataset.Examples > 0);

        // Every example, page by page, is a well-formed step whose RESULT line states the expected answer.
        var examples = new List<StepExampleRecord>();
        Guid? after = null;
        while (true)
        {
            var page = await _client.GetFromJsonAsync<List<StepExampleRecord>>($"/api/datasets/{datasetId}/examples?limit=50{(after is { } a ? $"&after={a}" : "")}");
            if (page!.Count == 0) break;
            examples.AddRange(page);
            after = page[^1].ExampleId;
        }
        Assert.Equal(dataset.Examples, examples.Count);
        Assert.Equal(examples.Count, examples.Select(e => e.ExampleId).Distinct().Count());
        Assert.All(examples, e =>
        {
            var answer = StepAnswer.Parse(e.Completion);
            Assert.True(answer.IsParseable, answer.Error);
            Assert.Equal(e.ExpectedDirection, StepFormat.Word(answer.Direction));
            Assert.Contains($"Change ({e.Factor})", e.Prompt, StringComparison.Ordinal);
        });
        foreach (var count in dataset.Counts)
        {
            var filtered = await _client.GetFromJsonAsync<List<StepExampleRecord>>($"/api/datasets/{datasetId}/examples?split={count.Split}&factor={count.Factor}&limit=1000");
            Assert.Equal(count.Examples, filtered!.Count);
        }

        var corpus = await _client.GetFromJsonAsync<List<CorpusDocument>>($"/api/datasets/{datasetId}/corpus");
        Assert.Equal(dataset.Trials, corpus!.Count);
        Assert.Subset(corpus.Select(c => c.TrialId).ToHashSet(), new HashSet<string> { "NCT00931528", "NCT01037244", "NCT02305381" });

        // The same PairsMined again: consumed, nothing added, nothing announced.
        var again = NewId.NextGuid();
        var mined = services.Mined.First(m => m.CorrelationId == correlations[0]);
        await services.Bus.Publish(mined with { CorrelationId = again });
        await LiveServices.WaitForAsync(_consumed, m => m.CorrelationId == again);
        var after2 = await _client.GetFromJsonAsync<DatasetSummary>($"/api/datasets/{datasetId}");
        Assert.Equal(dataset.Counts, after2!.Counts);
        Assert.DoesNotContain(_ready, r => r.CorrelationId == again);

        // The gateway routes the datasets API and its OpenAPI document to trace-generator.
        var gateway = _gateway.CreateClient();
        var viaGateway = await gateway.GetFromJsonAsync<DatasetSummary>($"/api/datasets/{datasetId}");
        Assert.Equal(dataset.Counts, viaGateway!.Counts);
        var openApi = await gateway.GetStringAsync("/openapi/trace-generator.json");
        Assert.Contains("/api/datasets/{id}/examples", openApi, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("split=training", "split")]
    [InlineData("factor=route", "factor")]
    [InlineData("limit=0", "limit")]
    [InlineData("after=00000000-0000-0000-0000-000000000001", "after")]
    public async Task A_bad_examples_query_is_refused_naming_the_field(string query, string field)
    {
        var datasetId = await EnsureADatasetAsync();

        var response = await _client.GetAsync($"/api/datasets/{datasetId}/examples?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task An_unknown_dataset_is_not_found()
    {
        var response = await _client.GetAsync($"/api/datasets/{Guid.NewGuid()}/examples");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<Guid> EnsureADatasetAsync()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(NewVersion(RepoData.V2Record("NCT01037244")).ToMessage(correlationId));
        return (await LiveServices.WaitForAsync(_ready, e => e.CorrelationId == correlationId, timeoutSeconds: 120)).Single().DatasetId;
    }

    /// <summary>
    /// The record with a title of its own, so pair-miner stores it as a new version and mines new pairs: trace-generator
    /// builds examples only from the pairs a mining added, and other tests of the collection may have stored the record.
    /// </summary>
    private static SourceRecord NewVersion(SourceRecord record)
    {
        var marker = $"(steps {NewId.NextGuid():N}) ";
        var text = record.Format == DeepImagine.Trials.RecordFormat.CtgovV2Json
            ? record.Text.Replace("\"briefTitle\":\"", "\"briefTitle\":\"" + marker, StringComparison.Ordinal)
            : record.Text.Replace("<brief_title>", "<brief_title>" + marker, StringComparison.Ordinal);
        Assert.NotEqual(record.Text, text);
        return record with { Text = text };
    }

    private sealed class PairsMinedObserver(ConcurrentQueue<PairsMined> consumed) : IConsumeObserver
    {
        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is PairsMined mined) consumed.Enqueue(mined);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
