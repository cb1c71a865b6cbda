using System.Diagnostics;
using System.Globalization;
using Dapper;
using DeepImagine.ServiceDefaults;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Tests;
using DeepImagine.Trials;
using MassTransit;

namespace DeepImagine.FaultTests;

/// <summary>One row of the report.</summary>
internal sealed record ScenarioResult(string Name, int Published, long Stored, long Rejected, long Lost, long Duplicated, int Crashed,
    double Seconds, string Fault, int HostileInputs = 0, int HostileAcceptedWrongly = 0);

/// <summary>
/// <c>make test-faults</c>: ingestion under faults (broker restart, database restart, kill -9, concurrent duplicate
/// publishing) and the hostile-input corpus, each on the private broker and database with pair-miner as a separate
/// process. Prints one row per scenario and the summary line; exits non-zero when anything was lost, duplicated,
/// crashed or wrongly accepted.
/// </summary>
internal static class FaultRun
{
    private const string Source = "faults";
    private const string PublishedQueue = "pair-miner-trial-published";
    private const string StoredQueue = "pair-miner-trial-stored";
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(8);

    public static async Task<int> RunAsync()
    {
        var records = int.TryParse(Environment.GetEnvironmentVariable("FAULTS_RECORDS"), out var n) ? n : 10_000;
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(FaultEnvironment.Scratch);
        await FaultEnvironment.InfraAsync("up");
        var results = new List<ScenarioResult>();
        var scenarios = new (string Name, Func<Task<ScenarioResult>> Run)[]
        {
            ("rabbitmq-restart", () => BrokerRestartAsync(records)),
            ("postgresql-restart", () => DatabaseRestartAsync(2_000)),
            ("pair-miner-kill-9", () => KillAsync(2_000)),
            ("published-twice", () => PublishedTwiceAsync(1_000)),
            ("hostile-input", HostileAsync),
        };
        // FAULTS_SCENARIOS=rabbitmq-restart,hostile-input runs only those (for chasing one fault).
        var only = Environment.GetEnvironmentVariable("FAULTS_SCENARIOS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var (name, run) in scenarios.Where(s => only is not { Length: > 0 } || only.Contains(s.Name)))
        {
            Console.Error.WriteLine($"scenario {name} …");
            try
            {
                results.Add(await run().WaitAsync(ScenarioTimeout));
            }
            catch (Exception ex)
            {
                // A scenario that cannot finish is reported as a failure, and the others still run.
                Console.Error.WriteLine($"scenario {name} failed: {ex}");
                results.Add(new ScenarioResult(name, 0, 0, 0, -1, 0, 1, 0, "did not finish: " + ex.GetType().Name));
            }
        }
        Print(results, total.Elapsed.TotalSeconds);
        var ok = results.All(r => r.Lost == 0 && r.Duplicated == 0 && r.Crashed == 0 && r.HostileAcceptedWrongly == 0);
        return ok ? 0 : 1;
    }

    private static void Print(IReadOnlyList<ScenarioResult> results, double seconds)
    {
        Console.WriteLine($"{"scenario",-20} {"published",9} {"stored",7} {"rejected",8} {"lost",5} {"duplicated",10} {"crashed",7} {"seconds",7}  fault");
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-20} {r.Published,9} {r.Stored,7} {r.Rejected,8} {r.Lost,5} {r.Duplicated,10} {r.Crashed,7} {r.Seconds,7:0.0}  {r.Fault}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"duration={seconds:0} s (pair-miner logs in {FaultEnvironment.Scratch})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scenarios={results.Count} lost={results.Sum(r => Math.Max(0, r.Lost)) + results.Count(r => r.Lost < 0)} duplicated={results.Sum(r => r.Duplicated)} crashed={results.Sum(r => r.Crashed)} hostile_inputs={results.Sum(r => r.HostileInputs)} hostile_accepted_wrongly={results.Sum(r => r.HostileAcceptedWrongly)}"));
    }

    /// <summary>Distinct synthetic studies: real bundled v2 studies under new ids NCT9xxxxxxx (so each has its own content).</summary>
    private static IReadOnlyList<SourceRecord> Synthetic(int count)
    {
        var bases = SourceFiles.Read([Path.Combine(RepoRoot.Path, "data", "ctgov-v2-json", "studies.jsonl.gz")])
            .Where(r => { try { TrialRecordParser.Parse(r); return true; } catch (TrialValidationException) { return false; } })
            .ToList();
        return Enumerable.Range(0, count).Select(i =>
        {
            var template = bases[i % bases.Count];
            var id = $"NCT9{i:D7}";
            return new SourceRecord(Source, id, RecordFormat.CtgovV2Json, template.Text.Replace(template.RecordId, id, StringComparison.Ordinal));
        }).ToList();
    }

    /// <summary>Publish attempts that failed and were retried (broker gone, confirm lost), over the whole run.</summary>
    private static int _retriedPublishes;

    /// <param name="pause">between chunks of 100: a paced publisher (an external system trickling events) spans a fault</param>
    private static Task PublishAllAsync(Scenario scenario, IReadOnlyList<SourceRecord> records, Guid correlationId, Action<int>? published = null,
        TimeSpan pause = default) =>
        Task.Run(async () =>
        {
            var done = 0;
            foreach (var chunk in records.Chunk(100))
            {
                while (true)
                {
                    // A chunk takes well under a second, or a few retries across a broker restart; one that has not
                    // finished in two minutes is on a wedged bus: publish it again on a fresh one (consumers are idempotent).
                    using var chunkTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                    try
                    {
                        await Task.WhenAll(chunk.Select(r => scenario.Bus.PublishReliablyAsync(r.ToMessage(correlationId), chunkTimeout.Token,
                            _ => Interlocked.Increment(ref _retriedPublishes)))).WaitAsync(chunkTimeout.Token);
                        break;
                    }
                    catch (OperationCanceledException) when (chunkTimeout.IsCancellationRequested)
                    {
                        await scenario.RestartPublisherAsync();
                    }
                }
                published?.Invoke(done += chunk.Length);
                if (pause > TimeSpan.Zero) await Task.Delay(pause);
            }
        });

    private static async Task<long> StoredCountAsync(Scenario scenario)
    {
        await using var db = scenario.Database();
        try
        {
            return await db.ExecuteScalarAsync<long>("select count(distinct source_record_id) from trials where source = @Source", new { Source });
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
        {
            return 0; // pair-miner has not migrated yet
        }
    }

    /// <summary>
    /// Waits until every record is stored and the ingestion queue is empty, or nothing moves for 3 minutes (longer than
    /// pair-miner's bus watchdog takes to notice a wedge, exit and be started again).
    /// </summary>
    private static async Task WaitStoredAsync(Scenario scenario, int expected, bool mined = false)
    {
        var last = -1L;
        var lastChange = DateTime.UtcNow;
        while (DateTime.UtcNow - lastChange < TimeSpan.FromMinutes(3))
        {
            long stored;
            try
            {
                stored = await StoredCountAsync(scenario);
                var idle = await scenario.QueueDepthAsync(PublishedQueue) == 0;
                if (mined)
                {
                    await using var db = scenario.Database();
                    idle &= await db.ExecuteScalarAsync<long>("select count(*) from trials where mined_at is null") == 0
                            && await scenario.QueueDepthAsync(StoredQueue) == 0;
                }
                if (stored >= expected && idle) return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or HttpRequestException)
            {
                stored = last; // the database or broker is restarting
            }
            if (stored != last)
            {
                last = stored;
                lastChange = DateTime.UtcNow;
            }
            await Task.Delay(500);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition()) await Task.Delay(100);
    }

    /// <summary>Stored once each with the published content: lost = not stored (or other content), duplicated = extra rows.</summary>
    private static async Task<(long Stored, long Lost, long Duplicated)> VerifyAsync(Scenario scenario, IReadOnlyList<SourceRecord> records)
    {
        await using var db = scenario.Database();
        var rows = (await db.QueryAsync<(string Id, string Hash)>("select source_record_id, content_hash from trials where source = @Source", new { Source })).ToList();
        var stored = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.Select(r => r.Hash).ToList());
        long lost = 0;
        foreach (var record in records)
        {
            if (!stored.TryGetValue(record.RecordId, out var hashes) || !hashes.Contains(TrialRepository.ContentHash(record.Text))) lost++;
        }
        return (stored.Count, lost, rows.Count - stored.Count);
    }

    private static async Task<long> ErrorCountAsync(Scenario scenario) =>
        await scenario.QueueDepthAsync(PublishedQueue + ErrorQueues.Suffix) + await scenario.QueueDepthAsync(StoredQueue + ErrorQueues.Suffix);

    /// <summary>
    /// Publishes <paramref name="count"/> records and applies the fault in the middle: once a fifth is published
    /// (<paramref name="whilePublishing"/>, so publishing meets the fault) or once a fifth is stored (consumers meet it).
    /// </summary>
    private static async Task<ScenarioResult> TransientFaultAsync(string name, int count, string faultName, Func<Scenario, Task> fault, bool whilePublishing = false)
    {
        // Publishing 10,000 records unpaced takes a few seconds, less than a broker restart (about 15 s); paced at about
        // 250 records/s it is still under way when the broker goes down and when it comes back.
        var pause = whilePublishing ? TimeSpan.FromMilliseconds(400) : TimeSpan.Zero;
        var records = Synthetic(count);
        await using var scenario = await FaultEnvironment.CreateScenarioAsync(name);
        await scenario.StartPairMinerAsync();
        await scenario.StartPublisherAsync();
        var clock = Stopwatch.StartNew();
        var published = 0;
        var publishing = PublishAllAsync(scenario, records, NewId.NextGuid(), n => Volatile.Write(ref published, n), pause);
        if (whilePublishing) await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref published) >= count / 5));
        else await WaitUntilAsync(async () => await StoredCountAsync(scenario) >= count / 5);
        var storedAtFault = await StoredCountAsync(scenario);
        var publishedAtFault = Volatile.Read(ref published);
        var retriedBefore = Volatile.Read(ref _retriedPublishes);
        await fault(scenario);
        var publishedAfterFault = Volatile.Read(ref published);
        await publishing;
        var retried = Volatile.Read(ref _retriedPublishes) - retriedBefore;
        await WaitStoredAsync(scenario, count);
        var (stored, lost, duplicated) = await VerifyAsync(scenario, records);
        var errors = await ErrorCountAsync(scenario);
        var crashed = scenario.Crashes + (await scenario.PairMinerAnswersAsync() ? 0 : 1);
        return new ScenarioResult(name, records.Count, stored, errors, lost, duplicated, crashed, clock.Elapsed.TotalSeconds,
            $"{faultName} when {publishedAtFault} were published ({publishedAfterFault} when it was back) and {storedAtFault} stored; {retried} publishes retried; {errors} in _error" +
            $"; {scenario.WatchdogRestarts} pair-miner watchdog restarts, {scenario.PublisherRestarts} publisher restarts");
    }

    private static Task<ScenarioResult> BrokerRestartAsync(int count) =>
        TransientFaultAsync("rabbitmq-restart", count, "RabbitMQ node shut down and started again", _ => FaultEnvironment.InfraAsync("restart-rabbitmq"),
            whilePublishing: true);

    private static Task<ScenarioResult> DatabaseRestartAsync(int count) =>
        TransientFaultAsync("postgresql-restart", count, "PostgreSQL restarted (fast shutdown)", _ => FaultEnvironment.InfraAsync("restart-postgresql"));

    private static Task<ScenarioResult> KillAsync(int count) =>
        TransientFaultAsync("pair-miner-kill-9", count, "pair-miner killed with SIGKILL and started again", async scenario =>
        {
            await scenario.KillPairMinerAsync();
            await scenario.StartPairMinerAsync();
        });

    /// <summary>The same records from two publishers at once: one version each, and no pair twice.</summary>
    private static async Task<ScenarioResult> PublishedTwiceAsync(int count)
    {
        var records = Synthetic(count);
        await using var scenario = await FaultEnvironment.CreateScenarioAsync("published-twice");
        await scenario.StartPairMinerAsync();
        await scenario.StartPublisherAsync();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(PublishAllAsync(scenario, records, NewId.NextGuid()), PublishAllAsync(scenario, records.Reverse().ToList(), NewId.NextGuid()));
        await WaitStoredAsync(scenario, count, mined: true);
        var (stored, lost, duplicated) = await VerifyAsync(scenario, records);
        await using var db = scenario.Database();
        var pairs = await db.ExecuteScalarAsync<long>("select count(*) from pairs");
        var duplicatePairs = pairs - await db.ExecuteScalarAsync<long>("select count(*) from (select distinct kind, a_trial_row, b_trial_row, a::text, b::text from pairs) d");
        var errors = await ErrorCountAsync(scenario);
        var crashed = scenario.Crashes + (await scenario.PairMinerAnswersAsync() ? 0 : 1);
        return new ScenarioResult("published-twice", records.Count * 2, stored, errors, lost, duplicated + duplicatePairs, crashed, clock.Elapsed.TotalSeconds,
            $"two concurrent publishers of the same {count}; {pairs} pairs, {duplicatePairs} duplicate pairs");
    }

    /// <summary>The hostile corpus through the bus: rejected ones in _error as validation faults, valid ones stored, the service up.</summary>
    private static async Task<ScenarioResult> HostileAsync()
    {
        var cases = HostileCorpus.All.Where(c => c.CanCrossTheBus).Select(c => (Case: c, CorrelationId: NewId.NextGuid())).ToList();
        await using var scenario = await FaultEnvironment.CreateScenarioAsync("hostile-input");
        await scenario.StartPairMinerAsync();
        await scenario.StartPublisherAsync();
        var clock = Stopwatch.StartNew();
        foreach (var chunk in cases.Chunk(20))
            await Task.WhenAll(chunk.Select(c => scenario.Bus.PublishReliablyAsync(c.Case.ToMessage(c.CorrelationId))));

        var expectedRejections = cases.Count(c => !c.Case.ShouldBeAccepted);
        IReadOnlyList<ErrorMessage> errors = [];
        HashSet<Guid> storedIds = [];
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            await using (var db = scenario.Database())
            {
                try
                {
                    storedIds = (await db.QueryAsync<Guid>("select correlation_id from trials")).ToHashSet();
                }
                catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
                {
                    storedIds = [];
                }
            }
            try
            {
                errors = await scenario.ErrorQueues.PeekAsync(PublishedQueue + ErrorQueues.Suffix, 100_000);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                // MassTransit declares the _error queue with the first fault; before that there is nothing rejected yet.
                errors = [];
            }
            if (storedIds.Count + errors.Count >= cases.Count && await scenario.QueueDepthAsync(PublishedQueue) == 0) break;
            await Task.Delay(500);
        }
        var rejectedIds = cases.Where(c => errors.Any(e => e.Body.Contains(c.CorrelationId.ToString(), StringComparison.Ordinal))).Select(c => c.CorrelationId).ToHashSet();
        var acceptedWrongly = cases.Count(c => !c.Case.ShouldBeAccepted && storedIds.Contains(c.CorrelationId));
        var lost = cases.Count(c => !storedIds.Contains(c.CorrelationId) && !rejectedIds.Contains(c.CorrelationId));
        var rejectedWrongly = cases.Count(c => c.Case.ShouldBeAccepted && rejectedIds.Contains(c.CorrelationId));
        // A fault that is not a validation error is a consumer failing on input: counted as a crash.
        var consumerFailures = errors.Count(e => e.ExceptionType != typeof(TrialValidationException).FullName);
        var crashed = scenario.Crashes + consumerFailures + (await scenario.PairMinerAnswersAsync() ? 0 : 1);
        foreach (var c in cases.Where(c => !c.Case.ShouldBeAccepted && storedIds.Contains(c.CorrelationId) || c.Case.ShouldBeAccepted && rejectedIds.Contains(c.CorrelationId)))
            Console.Error.WriteLine($"hostile-input: wrong outcome for {c.Case.Name}");
        return new ScenarioResult("hostile-input", cases.Count, storedIds.Count, errors.Count, lost, 0, crashed, clock.Elapsed.TotalSeconds,
            $"{expectedRejections} expected rejected, {cases.Count - expectedRejections} valid; {rejectedWrongly} valid ones rejected", cases.Count, acceptedWrongly);
    }
}
