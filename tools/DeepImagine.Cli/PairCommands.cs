using System.CommandLine;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using MassTransit;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine pairs export|stats|remine</c> through pair-miner's read API and its RemineTrials command; <c>audit</c> mines in-process.</summary>
internal static class PairCommands
{
    public static Command Build()
    {
        var pairs = new Command("pairs", "Counterfactual pairs mined from the stored trials.");

        var kind = new Option<string?>("--kind") { Description = "natural or approximate" };
        kind.AcceptOnlyFromAmong(PairKinds.Natural, PairKinds.Approximate);
        var factor = new Option<string?>("--factor") { Description = string.Join(", ", Factors.All) };
        factor.AcceptOnlyFromAmong([.. Factors.All]);
        var output = new Option<string>("--out") { Description = "JSON lines file to write", Required = true };
        var export = new Command("export", $"Write pairs as JSON lines: one PairRecord (schema version {PairRecord.CurrentSchemaVersion}, docs/pair-contract.md) per line.") { kind, factor, output };
        export.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var client = PairMinerClient.Create(host.Configuration());
            var path = result.GetValue(output)!;
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"--out '{path}': folder '{directory}' does not exist; create it or choose another path");
            var written = 0;
            await using (var writer = new StreamWriter(path))
            {
                await foreach (var pair in client.PairsAsync(result.GetValue(kind), result.GetValue(factor), cancellationToken))
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(pair, ContractJson.Options));
                    written++;
                }
            }
            Console.WriteLine($"exported={written} out={path} schema_version={PairRecord.CurrentSchemaVersion}");
            return 0;
        });
        pairs.Subcommands.Add(export);

        var stats = new Command("stats", "Pair counts, one 'kind factor count' line each.");
        stats.SetAction(async (_, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var client = PairMinerClient.Create(host.Configuration());
            foreach (var count in await client.PairStatsAsync(cancellationToken))
                Console.WriteLine($"{count.Kind} {count.Factor} {count.Count}");
            return 0;
        });
        pairs.Subcommands.Add(stats);

        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for the re-mining", DefaultValueFactory = _ => 600 };
        var remine = new Command("remine", "Have pair-miner drop every pair and mine every stored trial again (after the miner changed).") { timeout };
        remine.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: true);
            await host.StartBusAsync(cancellationToken);
            var correlationId = NewId.NextGuid();
            await using var counter = await EventCounter.StartAsync(host.Bus(), correlationId);
            // A command to the owner: pair-miner resets its own tables and re-announces its own trials.
            var accepted = await host.Bus().CreateRequestClient<RemineTrials>(RequestTimeout.After(s: 120))
                .GetResponse<RemineTrialsAccepted>(new RemineTrials(correlationId), cancellationToken);
            var trials = accepted.Message.Trials;
            if (!await counter.WaitForAsync(trials, TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken: cancellationToken))
                throw new TimeoutException($"only {counter.Done} of {trials} trials were mined again in time");
            Console.WriteLine($"remined={counter.Mined} new_pairs={counter.NewPairs}");
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        pairs.Subcommands.Add(remine);

        var auditPaths = new Argument<string[]>("paths") { Description = "files or folders of trial records (default: data/)", Arity = ArgumentArity.ZeroOrMore };
        var audit = new Command("audit", "Mine the records in-process and count pairs per relation, drops per reason and pairs breaking each invariant.") { auditPaths };
        audit.SetAction(result =>
        {
            var inputs = result.GetValue(auditPaths) is { Length: > 0 } given ? given : ["data"];
            var rejected = 0;
            var trials = SourceFiles.Read(inputs).Select(record =>
            {
                try { return TrialRecordParser.Parse(record); }
                catch (TrialValidationException) { rejected++; return null; }
            }).OfType<Trial>();
            var report = MiningAudit.Run(trials);
            foreach (var ((source, relation), count) in report.PairsByRelation) Console.WriteLine($"relation {source} {relation} {count}");
            foreach (var (reason, count) in report.Dropped) Console.WriteLine($"dropped {reason} {count}");
            Console.WriteLine($"trials={report.Trials} rejected={rejected} pairs={report.Pairs}");
            Console.WriteLine(PairAudit.SummaryLine(report.Violations));
            return 0;
        });
        pairs.Subcommands.Add(audit);
        return pairs;
    }
}
