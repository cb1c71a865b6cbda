using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepImagine.Pairs;
using DeepImagine.ServiceDefaults;

namespace DeepImagine.IntegrationTests;

[Collection(PredictorProcessCollection.Name)]
public sealed class Predicting_through_the_gateway(PredictorProcess predictor)
{
    private static readonly JsonArray Benchmark = (JsonArray)JsonNode.Parse(File.ReadAllText(
        Path.Combine(Tests.RepoRoot.Path, "data/benchmarks/ct-open/winter-2025.json")))!["items"]!;

    private static HttpRequestMessage Post(string path, JsonNode body, bool withKey = true)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        if (withKey) message.Headers.Add(ApiKeys.HeaderName, ApiKeys.LocalDevelopmentKey);
        return message;
    }

    /// <summary>Benchmark items 1..n (with their answers) as knowledge, so item 0 finds anchors.</summary>
    private async Task ImportKnowledgeAsync()
    {
        var file = new JsonObject { ["cutoff"] = "2025-02-01", ["items"] = new JsonArray(Benchmark.Skip(1).Take(120).Select(i => i!.DeepClone()).ToArray()) };
        var response = await predictor.GatewayClient.SendAsync(Post("/api/knowledge/ct-open", file));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_ct_open_item_gets_one_probability_per_option_anchor_chains_and_a_decision_line()
    {
        await ImportKnowledgeAsync();
        var item = Benchmark[0]!.DeepClone();
        var response = await predictor.GatewayClient.SendAsync(Post("/api/predictions", new JsonObject { ["item"] = item }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body + "\n" + predictor.Log);

        var result = JsonNode.Parse(body)!;
        var predictions = result["predictions"]!.AsArray();
        Assert.Equal(item["questions"]!.AsArray().Count, predictions.Count);
        foreach (var p in predictions)
        {
            var probabilities = p!["probabilities"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
            var options = item["questions"]![p["questionIndex"]!.GetValue<int>()]!["options"]!.AsArray().Count;
            Assert.Equal(options, probabilities.Count);
            Assert.Equal(1.0, probabilities.Sum(), 6);
            var chains = p["chains"]!.AsArray();
            Assert.NotEmpty(chains);
            Assert.All(chains, c => Assert.NotEqual(item["nct_id"]!.GetValue<string>(), c!["anchorNctId"]!.GetValue<string>()));
            Assert.All(chains.SelectMany(c => c!["steps"]!.AsArray()), s => Assert.Contains(s!["factor"]!.GetValue<string>(), Factors.All));
            Assert.Contains(chains, c => c!["steps"]!.AsArray().Count > 0);
            Assert.Matches(@"\nDECISION: \([0-9.]+(, [0-9.]+){1,2}\)$", p["output"]!.GetValue<string>());
        }
        Assert.Equal($"{Predictor.Tests.TinyOperators.BaseName}-arm@v1 (on {Predictor.Tests.TinyOperators.BaseName}@v1)", result["modelVersions"]!["arm"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invalid_body_is_refused_with_a_problem_naming_the_field()
    {
        var item = Benchmark[0]!.DeepClone();
        item["questions"]![0]!["options"] = new JsonArray("only one option");
        var response = await predictor.GatewayClient.SendAsync(Post("/api/predictions", new JsonObject { ["item"] = item }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("item.questions[0].options", problem["field"]!.GetValue<string>());

        var unknown = await predictor.GatewayClient.SendAsync(Post("/api/predictions", new JsonObject { ["nctId"] = "not-an-id" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("nctId", JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_without_an_api_key_is_refused()
    {
        var response = await predictor.GatewayClient.SendAsync(Post("/api/predictions", new JsonObject { ["item"] = Benchmark[0]!.DeepClone() }, withKey: false));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // The predictor checks the key too, for a caller that reaches it directly.
        var direct = await predictor.PredictorClient.SendAsync(Post("/api/predictions", new JsonObject { ["item"] = Benchmark[0]!.DeepClone() }, withKey: false));
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
    }

    [Fact]
    public async Task A_predictor_killed_mid_job_loses_no_finished_prediction_and_completes_the_job_after_restart()
    {
        await ImportKnowledgeAsync();
        var items = new JsonArray(Benchmark.Skip(200).Take(16).Select(i => i!.DeepClone()).ToArray());
        var expected = items.Sum(i => i!["questions"]!.AsArray().Count);
        var submitted = await predictor.GatewayClient.SendAsync(Post("/api/prediction-jobs", new JsonObject { ["cutoff"] = "2025-02-01", ["items"] = items }));
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync() + "\n" + predictor.Log);
        var jobId = JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();

        var running = await WaitForJobAsync(jobId, j => j["done"]!.GetValue<int>() >= 2);
        Assert.True(running["done"]!.GetValue<int>() < items.Count, "the job finished before the kill; nothing was tested");
        await predictor.KillAsync();
        await predictor.StartAsync();
        var afterRestart = await ResultsAsync(jobId);
        Assert.True(afterRestart.Count >= running["done"]!.GetValue<int>(), $"{afterRestart.Count} predictions after restart, {running["done"]} items were done before the kill");

        var completed = await WaitForJobAsync(jobId, j => j["status"]!.GetValue<string>() == "completed");
        Assert.Equal(items.Count, completed["done"]!.GetValue<int>());
        var results = await ResultsAsync(jobId);
        Assert.Equal(expected, results.Count);
        Assert.Equal(expected, results.Select(r => (r["nct_id"]!.GetValue<string>(), r["endpoint_key"]!.GetValue<string>(), r["question_index"]!.GetValue<int>())).Distinct().Count());
        Assert.All(results, r => Assert.Equal(1.0, r["probabilities"]!.AsArray().Sum(x => x!.GetValue<double>()), 6));
        Assert.All(results, r => Assert.Contains("DECISION: (", r["output"]!.GetValue<string>()));
    }

    private async Task<JsonNode> WaitForJobAsync(Guid jobId, Func<JsonNode, bool> until, int timeoutSeconds = 300)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var response = await predictor.GatewayClient.GetAsync($"/api/prediction-jobs/{jobId}");
            if (response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync()) is { } job && until(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {jobId} did not reach the expected state within {timeoutSeconds} s:\n{predictor.Log}");
            await Task.Delay(100);
        }
    }

    private async Task<List<JsonNode>> ResultsAsync(Guid jobId)
    {
        var response = await predictor.GatewayClient.GetAsync($"/api/prediction-jobs/{jobId}/results");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text + "\n" + predictor.Log);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }
}
