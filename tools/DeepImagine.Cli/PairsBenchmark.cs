using System.Diagnostics;
using DeepImagine.PairMiner.Components.Mining;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DeepImagine.Cli;

/// <summary>
/// Grows the store with synthetic trials through the running pair-miner (ingest + mine, trials/s per step), and at each
/// store size times approximate-pair mining for one new trial (neighbour retrieval in SQL, loading, pairing) with
/// pair-miner's own <see cref="PairMiningService"/> (the same code, neighbour cache included), run in process.
/// </summary>
internal static class PairsBenchmark
{
    private const string BenchSource = "bench-pairs";
    private const int MiningSamples = 40;

    public static async Task<int> RunAsync(int[] sizes, string dataPath, string? reportPath, CancellationToken cancellationToken)
    {
        var originals = SourceFiles.Read([dataPath]).Select(r => r.Text).ToList();
        var withResults = originals.Where(t => TrialRecordParser.Parse(SourceFiles.V2Record(t, "x")).HasResults).ToList();
        using var host = CliHost.Create(withBus: true, withPairMinerData: true);
        await host.StartBusAsync(cancellationToken);
        var mining = host.Services.GetRequiredService<PairMiningService>();
        var topK = host.Services.GetRequiredService<IOptions<PairMiningOptions>>().Value.TopK;
        var runBase = Random.Shared.Next(10_000_000, 80_000_000);
        var results = new List<(int Size, double StepTps, double MedianMs, double P95Ms, double PairsPerTrial)>();

        await SyntheticTrials.DeleteAsync(host.Bus(), BenchSource, cancellationToken);
        var current = 0;
        foreach (var size in sizes.Order())
        {
            var step = Enumerable.Range(current, size - current)
                .Select(i => SyntheticTrials.Vary(BenchSource, originals[i % originals.Count], runBase + i, i)).ToList();
            var (_, minedSeconds) = await SyntheticTrials.PublishAndWaitAsync(host.Bus(), step, cancellationToken);
            var stepTps = step.Count / minedSeconds;
            current = size;

            // Mining one new trial (not stored): as pair-miner does it after storing.
            var timings = new List<double>();
            var found = 0;
            for (var sample = 0; sample < MiningSamples + 5; sample++)
            {
                var record = SyntheticTrials.Vary(BenchSource, withResults[(sample * 7) % withResults.Count], 99_000_000 - sample, sample);
                var trial = TrialRecordParser.Parse(record);
                var version = new TrialRef(long.MaxValue - sample, trial.TrialId, trial.Source, trial.SourceRecordId, 1);
                var watch = Stopwatch.StartNew();
                var mined = (await mining.MineApproximateAsync(trial, version, cancellationToken)).Count;
                watch.Stop();
                if (sample < 5) continue; // warm-up
                timings.Add(watch.Elapsed.TotalMilliseconds);
                found += mined;
            }
            timings.Sort();
            var median = timings[timings.Count / 2];
            var p95 = timings[(int)(timings.Count * 0.95) - 1];
            results.Add((size, stepTps, median, p95, (double)found / MiningSamples));
            Console.WriteLine($"pairs store={size} ingest_mine_tps={stepTps:0} mine_ms_median={median:0.00} mine_ms_p95={p95:0.00} approximate_pairs_per_trial={(double)found / MiningSamples:0.0}");
        }
        await SyntheticTrials.DeleteAsync(host.Bus(), BenchSource, cancellationToken);
        await host.StopAsync(CancellationToken.None);

        if (reportPath is not null)
        {
            var rows = new List<string>();
            var previous = 0;
            foreach (var r in results)
            {
                rows.Add($"| {r.Size:N0} | {previous:N0} → {r.Size:N0} | {r.StepTps:0} | {r.MedianMs:0.00} | {r.P95Ms:0.00} | {r.PairsPerTrial:0.0} |");
                previous = r.Size;
            }
            BenchmarkReport.Update(reportPath, "pairs", $"""
                ## Pair mining (`make bench-pairs`)

                The store grows with synthetic variations of the bundled v2 studies (new ids, shifted values, varied enrollment and
                country), published on RabbitMQ and ingested + mined by pair-miner (natural pairs and top-{topK} approximate pairs per
                trial); "ingest + mine" is the throughput of that growth step, timed until every `PairsMined`. At each store size,
                approximate mining for one new trial (SQL neighbour retrieval on the GIN indexes, loading the neighbours, pairing) is timed
                {MiningSamples} times after 5 warm-ups. Targets: mining at 50k no more than 3× its time at 1k; at least 200 trials/s at 10k.

                | store size | growth step | ingest + mine (trials/s) | mine one trial, median (ms) | p95 (ms) | approximate pairs per trial |
                |---|---|---|---|---|---|
                {string.Join('\n', rows)}

                Command: `make bench-pairs` (`deepimagine bench pairs --sizes {string.Join(' ', sizes)}`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        string Ms(int size) => results.FirstOrDefault(r => r.Size == size) is { Size: > 0 } r ? r.MedianMs.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "na";
        var tps10k = results.FirstOrDefault(r => r.Size == 10000);
        Console.WriteLine($"mine_ms_1k={Ms(1000)} mine_ms_10k={Ms(10000)} mine_ms_50k={Ms(50000)} ingest_mine_tps_10k={(tps10k.Size > 0 ? tps10k.StepTps.ToString("0", System.Globalization.CultureInfo.InvariantCulture) : "na")}");
        return 0;
    }
}
