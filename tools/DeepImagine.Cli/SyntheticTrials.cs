using System.Globalization;
using System.Text.RegularExpressions;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using MassTransit;

namespace DeepImagine.Cli;

/// <summary>
/// Benchmark records: real v2 studies under new NCT ids with shifted result values, and (so that approximate pairs
/// have factors to differ in) a varied enrollment and first country. Stored under their own source, removed afterwards.
/// </summary>
internal static partial class SyntheticTrials
{
    private static readonly string[] Countries = ["United States", "Germany", "Japan", "Brazil", "Canada", "France", "Korea, Republic of", "Australia"];

    public static SourceRecord Vary(string source, string json, int number, int index)
    {
        var nct = $"NCT{number:D8}";
        var text = NctIdPattern().Replace(json, $"\"nctId\":\"{nct}\"", 1);
        var shift = (index % 9 + 1) * 0.01;
        text = ValuePattern().Replace(text, m =>
            $"\"value\":\"{(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + shift).ToString("0.###", CultureInfo.InvariantCulture)}\"");
        text = EnrollmentPattern().Replace(text, m =>
            $"\"count\":{(int)(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * (1 + index % 5 * 0.4))}", 1);
        text = CountryPattern().Replace(text, $"\"country\":\"{Countries[index % Countries.Length]}\"", 1);
        return new SourceRecord(source, nct, DeepImagine.Trials.RecordFormat.CtgovV2Json, text);
    }

    /// <summary>
    /// Publishes the records and waits until each is stored, then until each is mined; fails on any rejection.
    /// Returns the seconds from the first publish to the last TrialStored and to the last PairsMined.
    /// </summary>
    public static async Task<(double StoredSeconds, double MinedSeconds)> PublishAndWaitAsync(IBus bus, IReadOnlyList<SourceRecord> records, CancellationToken cancellationToken)
    {
        var correlationId = NewId.NextGuid();
        await using var counter = await EventCounter.StartAsync(bus, correlationId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await bus.PublishAllAsync(records.Select(r => r.ToMessage(correlationId)), cancellationToken);
        if (!await counter.WaitForAsync(records.Count, TimeSpan.FromMinutes(15), cancellationToken: cancellationToken, storedOnly: true))
            throw new TimeoutException($"only {counter.DoneStoring} of {records.Count} records were stored within 15 minutes");
        var stored = clock.Elapsed.TotalSeconds;
        if (!await counter.WaitForAsync(records.Count, TimeSpan.FromMinutes(15), cancellationToken: cancellationToken))
            throw new TimeoutException($"only {counter.Done} of {records.Count} records were mined within 15 minutes");
        if (counter.Rejected.Count > 0) throw new InvalidOperationException($"{counter.Rejected.Count} benchmark records were rejected");
        return (stored, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Asks pair-miner, the owner of the trials, to remove the benchmark's synthetic source.</summary>
    public static async Task DeleteAsync(IBus bus, string source, CancellationToken cancellationToken) =>
        await bus.CreateRequestClient<DeleteSyntheticSource>(RequestTimeout.After(m: 10))
            .GetResponse<SyntheticSourceDeleted>(new DeleteSyntheticSource(source), cancellationToken);

    /// <summary>Stored records (latest versions) of the source, from pair-miner's read API.</summary>
    public static async Task<long> CountAsync(PairMinerClient client, string source, CancellationToken cancellationToken) =>
        (await client.TrialStatsAsync(cancellationToken)).Where(c => c.Source == source).Sum(c => c.Records);

    public static string Label(int size) => size % 1000 == 0 ? $"{size / 1000}k" : size.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("\"nctId\"\\s*:\\s*\"NCT\\d+\"")]
    private static partial Regex NctIdPattern();

    [GeneratedRegex("\"value\"\\s*:\\s*\"(-?\\d+(?:\\.\\d+)?)\"")]
    private static partial Regex ValuePattern();

    [GeneratedRegex("\"count\"\\s*:\\s*(\\d+)")]
    private static partial Regex EnrollmentPattern();

    [GeneratedRegex("\"country\"\\s*:\\s*\"[^\"]*\"")]
    private static partial Regex CountryPattern();
}
