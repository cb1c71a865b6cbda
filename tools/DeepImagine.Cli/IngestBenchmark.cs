using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using DeepImagine.Trials;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DeepImagine.Cli;

/// <summary>
/// End-to-end ingestion throughput: synthetic variations of real v2 studies (new NCT ids, shifted result values) are
/// published on the bus, and the clock stops when pair-miner has announced every one as stored in PostgreSQL.
/// </summary>
internal static partial class IngestBenchmark
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
        await PublishAndWaitAsync(host.Bus(), Enumerable.Range(0, 500).Select(i => Vary(originals[i % originals.Count], runBase - 1_000_000 + i, i)).ToList(), cancellationToken);
        foreach (var size in sizes)
        {
            await DeleteBenchRowsAsync(dataSource, cancellationToken);
            var records = Enumerable.Range(0, size).Select(i => Vary(originals[i % originals.Count], runBase + results.Count * 1_000_000 + i, i)).ToList();
            var clock = Stopwatch.StartNew();
            await PublishAndWaitAsync(host.Bus(), records, cancellationToken);
            clock.Stop();
            var stored = await CountBenchRowsAsync(dataSource, cancellationToken);
            if (stored != size) throw new InvalidOperationException($"expected {size} stored benchmark trials, found {stored}");
            var tps = size / clock.Elapsed.TotalSeconds;
            results.Add((size, clock.Elapsed.TotalSeconds, tps));
            Console.WriteLine($"ingest size={size} seconds={clock.Elapsed.TotalSeconds:0.00} trials_per_s={tps:0}");
        }
        await DeleteBenchRowsAsync(dataSource, cancellationToken);
        await host.StopAsync(CancellationToken.None);

        if (reportPath is not null)
        {
            var table = string.Join('\n', results.Select(r => $"| {r.Size:N0} | {r.Seconds:0.00} | {r.TrialsPerSecond:0} |"));
            BenchmarkReport.Update(reportPath, "ingest", $"""
                ## Ingestion end to end (`make bench-ingest`)

                Synthetic variations of the bundled v2 studies (new NCT ids, shifted result values) published on RabbitMQ by the CLI;
                timed from the first publish until pair-miner has announced every record stored in PostgreSQL (`TrialStored`), after an
                untimed warm-up of 500 records. Publisher, broker, database and service share the one machine. Target: at least 500 trials/s.

                | records | seconds | trials/s |
                |---|---|---|
                {table}

                Command: `make bench-ingest` (`deepimagine bench ingest --sizes {string.Join(' ', sizes)}`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        Console.WriteLine(string.Join(' ', results.Select(r => $"trials_per_s_{Label(r.Size)}={r.TrialsPerSecond:0}")));
        return 0;
    }

    private static async Task PublishAndWaitAsync(IBus bus, IReadOnlyList<SourceRecord> records, CancellationToken cancellationToken)
    {
        var correlationId = NewId.NextGuid();
        await using var counter = await EventCounter.StartAsync(bus, correlationId);
        foreach (var chunk in records.Chunk(100))
        {
            await Task.WhenAll(chunk.Select(r => bus.Publish(r.ToMessage(correlationId), cancellationToken)));
        }
        if (!await counter.WaitForAsync(records.Count, TimeSpan.FromMinutes(10), cancellationToken: cancellationToken))
            throw new TimeoutException($"only {counter.Done} of {records.Count} records were stored within 10 minutes");
        if (counter.Rejected.Count > 0) throw new InvalidOperationException($"{counter.Rejected.Count} benchmark records were rejected");
    }

    private static string Label(int size) => size % 1000 == 0 ? $"{size / 1000}k" : size.ToString(CultureInfo.InvariantCulture);

    /// <summary>The same study under a new NCT id, its result values shifted so every variant's content differs.</summary>
    private static SourceRecord Vary(string json, int number, int index)
    {
        var nct = $"NCT{number:D8}";
        var text = NctIdPattern().Replace(json, $"\"nctId\":\"{nct}\"", 1);
        var shift = (index % 9 + 1) * 0.01;
        text = ValuePattern().Replace(text, m =>
            $"\"value\":\"{(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + shift).ToString("0.###", CultureInfo.InvariantCulture)}\"");
        return new SourceRecord(BenchSource, nct, DeepImagine.Contracts.V1.RecordFormat.CtgovV2Json, text);
    }

    private static async Task DeleteBenchRowsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("delete from trials where source = @BenchSource", new { BenchSource }, cancellationToken: cancellationToken));
    }

    private static async Task<long> CountBenchRowsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from trials where source = @BenchSource", new { BenchSource }, cancellationToken: cancellationToken));
    }

    [GeneratedRegex("\"nctId\"\\s*:\\s*\"NCT\\d+\"")]
    private static partial Regex NctIdPattern();

    [GeneratedRegex("\"value\"\\s*:\\s*\"(-?\\d+(?:\\.\\d+)?)\"")]
    private static partial Regex ValuePattern();
}
