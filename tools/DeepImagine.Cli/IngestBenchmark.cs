using System.Diagnostics;
using DeepImagine.Trials;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DeepImagine.Cli;

/// <summary>
/// End-to-end ingestion throughput: synthetic variations of real v2 studies are published on the bus, and the clock
/// stops when pair-miner has announced every one stored in PostgreSQL and mined.
/// </summary>
internal static class IngestBenchmark
{
    private const string BenchSource = "bench-ingest";

    public static async Task<int> RunAsync(int[] sizes, string dataPath, string? reportPath, CancellationToken cancellationToken)
    {
        var originals = SourceFiles.Read([dataPath]).Select(r => r.Text).ToList();
        using var host = CliHost.Create(withBus: true);
        await host.StartAsync(cancellationToken);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var results = new List<(int Size, double Seconds, double TrialsPerSecond)>();
        var runBase = Random.Shared.Next(10_000_000, 89_000_000);

        // Untimed warm-up, so the first size does not also measure the services' JIT compilation.
        await SyntheticTrials.DeleteAsync(dataSource, BenchSource, cancellationToken);
        await SyntheticTrials.PublishAndWaitAsync(host.Bus(), Enumerable.Range(0, 500)
            .Select(i => SyntheticTrials.Vary(BenchSource, originals[i % originals.Count], runBase - 1_000_000 + i, i)).ToList(), cancellationToken);
        foreach (var size in sizes)
        {
            await SyntheticTrials.DeleteAsync(dataSource, BenchSource, cancellationToken);
            var records = Enumerable.Range(0, size)
                .Select(i => SyntheticTrials.Vary(BenchSource, originals[i % originals.Count], runBase + results.Count * 1_000_000 + i, i)).ToList();
            var clock = Stopwatch.StartNew();
            await SyntheticTrials.PublishAndWaitAsync(host.Bus(), records, cancellationToken);
            clock.Stop();
            var stored = await SyntheticTrials.CountAsync(dataSource, BenchSource, cancellationToken);
            if (stored != size) throw new InvalidOperationException($"expected {size} stored benchmark trials, found {stored}");
            var tps = size / clock.Elapsed.TotalSeconds;
            results.Add((size, clock.Elapsed.TotalSeconds, tps));
            Console.WriteLine($"ingest size={size} seconds={clock.Elapsed.TotalSeconds:0.00} trials_per_s={tps:0}");
        }
        await SyntheticTrials.DeleteAsync(dataSource, BenchSource, cancellationToken);
        await host.StopAsync(CancellationToken.None);

        if (reportPath is not null)
        {
            var table = string.Join('\n', results.Select(r => $"| {r.Size:N0} | {r.Seconds:0.00} | {r.TrialsPerSecond:0} |"));
            BenchmarkReport.Update(reportPath, "ingest", $"""
                ## Ingestion end to end (`make bench-ingest`)

                Synthetic variations of the bundled v2 studies (new NCT ids, shifted result values, varied enrollment and country)
                published on RabbitMQ by the CLI; timed from the first publish until pair-miner has announced every record stored in
                PostgreSQL and its pairs mined (`PairsMined`), after an untimed warm-up of 500 records. Publisher, broker, database and
                service share the one machine. Target: at least 500 trials/s.

                | records | seconds | trials/s |
                |---|---|---|
                {table}

                Command: `make bench-ingest` (`deepimagine bench ingest --sizes {string.Join(' ', sizes)}`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        Console.WriteLine(string.Join(' ', results.Select(r => $"trials_per_s_{SyntheticTrials.Label(r.Size)}={r.TrialsPerSecond:0}")));
        return 0;
    }
}
