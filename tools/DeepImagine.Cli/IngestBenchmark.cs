using DeepImagine.Trials;
using Microsoft.Extensions.Hosting;

namespace DeepImagine.Cli;

/// <summary>
/// End-to-end ingestion throughput: synthetic variations of real v2 studies are published on the bus, and the clock
/// stops when pair-miner has announced every one stored in PostgreSQL and mined.
/// </summary>
internal static class IngestBenchmark
{
    private const string BenchSource = "bench-ingest";
    // Enough for the services' tiered JIT and PostgreSQL's caches to settle after a restart.
    private const int WarmUp = 5000;

    public static async Task<int> RunAsync(int[] sizes, string dataPath, string? reportPath, CancellationToken cancellationToken)
    {
        var originals = SourceFiles.Read([dataPath]).Select(r => r.Text).ToList();
        using var host = CliHost.Create(withBus: true);
        await host.StartBusAsync(cancellationToken);
        using var pairMiner = PairMinerClient.Create(host.Configuration());
        var results = new List<(int Size, double Seconds, double TrialsPerSecond, double MinedSeconds)>();
        var runBase = Random.Shared.Next(10_000_000, 89_000_000);

        // Untimed warm-up, so the first size does not also measure the services' JIT compilation.
        await SyntheticTrials.DeleteAsync(host.Bus(), BenchSource, cancellationToken);
        await SyntheticTrials.PublishAndWaitAsync(host.Bus(), Enumerable.Range(0, WarmUp)
            .Select(i => SyntheticTrials.Vary(BenchSource, originals[i % originals.Count], runBase - 1_000_000 + i, i)).ToList(), cancellationToken);
        foreach (var size in sizes)
        {
            await SyntheticTrials.DeleteAsync(host.Bus(), BenchSource, cancellationToken);
            var records = Enumerable.Range(0, size)
                .Select(i => SyntheticTrials.Vary(BenchSource, originals[i % originals.Count], runBase + results.Count * 1_000_000 + i, i)).ToList();
            var (storedSeconds, minedSeconds) = await SyntheticTrials.PublishAndWaitAsync(host.Bus(), records, cancellationToken);
            var stored = await SyntheticTrials.CountAsync(pairMiner, BenchSource, cancellationToken);
            if (stored != size) throw new InvalidOperationException($"expected {size} stored benchmark trials, found {stored}");
            var tps = size / storedSeconds;
            results.Add((size, storedSeconds, tps, minedSeconds));
            Console.WriteLine($"ingest size={size} seconds={storedSeconds:0.00} trials_per_s={tps:0} mined_after_s={minedSeconds:0.00}");
        }
        await SyntheticTrials.DeleteAsync(host.Bus(), BenchSource, cancellationToken);
        await host.StopAsync(CancellationToken.None);

        if (reportPath is not null)
        {
            var table = string.Join('\n', results.Select(r => $"| {r.Size:N0} | {r.Seconds:0.00} | {r.TrialsPerSecond:0} | {r.MinedSeconds:0.00} | {r.Size / r.MinedSeconds:0} |"));
            BenchmarkReport.Update(reportPath, "ingest", $"""
                ## Ingestion end to end (`make bench-ingest`)

                Synthetic variations of the bundled v2 studies (new NCT ids, shifted result values, varied enrollment and country)
                published on RabbitMQ by the CLI; timed from the first publish until pair-miner has announced every record stored in
                PostgreSQL (`TrialStored`), after an untimed warm-up of {WarmUp:N0} records. Pair mining runs at the same time on its own queue
                and competes for the same CPU; the last columns time it until every `PairsMined`. Publisher, broker, database and
                service share the one machine. Target: at least 500 trials/s stored.

                | records | stored after (s) | stored trials/s | mined after (s) | mined trials/s |
                |---|---|---|---|---|
                {table}

                Command: `make bench-ingest` (`deepimagine bench ingest --sizes {string.Join(' ', sizes)}`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        Console.WriteLine(string.Join(' ', results.Select(r => $"trials_per_s_{SyntheticTrials.Label(r.Size)}={r.TrialsPerSecond:0}")));
        return 0;
    }
}
