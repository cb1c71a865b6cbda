using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench predict</c>: CT Open items posted to <c>POST /api/predictions</c> through the gateway by concurrent clients,
/// after the same file's items are loaded as knowledge (a target never anchors on itself). Latency per request from
/// send to full response; the last line is <c>p50_ms= p99_ms= rps= anchors=</c> (anchors: chains per question, mean).
/// The measurement is of a serving predictor: <c>--warmup</c> requests go first, unmeasured, with items from the file's
/// end that are not among the measured ones (code compiled, model loaded; no measured target's answer pre-computed).
/// </summary>
internal static class PredictBenchmark
{
    private const string Section = "predict";

    public static async Task<int> RunAsync(string file, int requests, int clients, int warmup, string? report, CancellationToken cancellationToken)
    {
        if (requests < 1) throw new ArgumentException($"--requests is {requests}; give at least 1");
        if (warmup < 0) throw new ArgumentException($"--warmup is {warmup}; give 0 or more");
        if (clients < 1) throw new ArgumentException($"--clients is {clients}; give at least 1");
        if (!File.Exists(file)) throw new FileNotFoundException($"--file: no CT Open file at '{file}'", file);
        var benchmark = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new ArgumentException($"--file {file}: not a JSON object");
        var items = benchmark["items"] as JsonArray ?? throw new ArgumentException($"--file {file}: no 'items' array (CT Open layout)");
        if (items.Count == 0) throw new ArgumentException($"--file {file}: no items");

        using var host = CliHost.Create(withBus: false);
        // Queued behind other clients' predictions on a loaded machine, a request may wait minutes: measured, not cut off.
        using var api = new GatewayApi(host.Configuration(), TimeSpan.FromMinutes(15));
        var imported = await api.PostJsonAsync("api/knowledge/ct-open", benchmark, "knowledge", cancellationToken);
        Console.WriteLine($"knowledge: {imported["endpoints"]} endpoints from {file} ({imported["knowledgeEndpoints"]} in the predictor's store)");

        if (warmup > 0)
        {
            if (requests + warmup > items.Count)
                throw new ArgumentException($"--requests {requests} and --warmup {warmup}: the file has {items.Count} items, so the warm-up would repeat measured ones");
            var warm = -1;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref warm)) < warmup)
                {
                    var item = items[items.Count - 1 - i]!.DeepClone();
                    await api.PostJsonAsync("api/predictions", new JsonObject { ["item"] = item }, $"warm-up item {item["nct_id"]}", cancellationToken);
                }
            }));
            Console.WriteLine($"warm-up: {warmup} requests (the file's last items), not measured");
        }

        var latencies = new List<double>();
        var chains = new List<int>();
        double retrieval = 0, generation = 0, scoring = 0;
        var tokens = 0;
        string? versions = null;
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var item = items[i % items.Count]!.DeepClone();
                var started = Stopwatch.GetTimestamp();
                var answer = await api.PostJsonAsync("api/predictions", new JsonObject { ["item"] = item }, $"item {item["nct_id"]}", cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                    chains.AddRange(answer["predictions"]!.AsArray().Select(p => p!["chains"]!.AsArray().Count));
                    foreach (var t in answer["predictions"]!.AsArray().Select(p => p!["timings"]).OfType<JsonNode>())
                    {
                        retrieval += t["retrievalMs"]!.GetValue<double>();
                        generation += t["generationMs"]!.GetValue<double>();
                        scoring += t["scoringMs"]!.GetValue<double>();
                        tokens += t["generatedTokens"]!.GetValue<int>();
                    }
                    versions ??= answer["modelVersions"]?.ToJsonString();
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        var split = string.Create(CultureInfo.InvariantCulture,
            $"per request, inside the predictor: retrieval {retrieval / requests:0} ms, generation {generation / requests:0} ms ({tokens / (double)requests:0} tokens), RESULT scoring {scoring / requests:0} ms (the batches each request's steps ran in, shared with the concurrent requests in them); the rest is waiting for a batch");
        Console.WriteLine(split);
        double Percentile(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        var line = string.Create(CultureInfo.InvariantCulture,
            $"p50_ms={Percentile(0.50):0} p99_ms={Percentile(0.99):0} rps={requests / seconds:0.00} anchors={(chains.Count == 0 ? 0 : chains.Average()):0.0}");
        if (report is not null)
        {
            BenchmarkReport.Update(report, Section, $"""
                ## Prediction latency (`make bench-predict`)

                {requests} `POST /api/predictions` of CT Open items ({file}) by {clients} concurrent clients through the gateway, after {warmup} unmeasured warm-up requests of other items (the file's last), measured
                {DateTime.UtcNow:yyyy-MM-dd} on {BenchmarkReport.Machine()}. Operators: `{versions ?? "none"}`.
                `anchors` is the mean number of anchor chains per question (0: the store had no model and the class prior was answered).

                {split}.

                `{line}`
                """);
        }
        Console.WriteLine(line);
        return 0;
    }
}
