using System.CommandLine;
using System.Text.Json;
using DeepImagine.Pairs;
using DeepImagine.Storage;
using DeepImagine.Trials;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine pairs export|stats|remine|audit</c>.</summary>
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
        var export = new Command("export", "Write pairs as JSON lines (the format the training stages read).") { kind, factor, output };
        export.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            var repository = host.Services.GetRequiredService<PairRepository>();
            var path = result.GetValue(output)!;
            var written = 0;
            await using (var writer = new StreamWriter(path))
            {
                await foreach (var pair in repository.ExportAsync(result.GetValue(kind), result.GetValue(factor), cancellationToken))
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(pair, TrialJson.Options));
                    written++;
                }
            }
            Console.WriteLine($"exported={written} out={path}");
            return 0;
        });
        pairs.Subcommands.Add(export);

        var stats = new Command("stats", "Pair counts, one 'kind factor count' line each.");
        stats.SetAction(async (_, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            foreach (var count in await host.Services.GetRequiredService<PairRepository>().StatsAsync(cancellationToken))
                Console.WriteLine($"{count.Kind} {count.Factor} {count.Count}");
            return 0;
        });
        pairs.Subcommands.Add(stats);

        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for the re-mining", DefaultValueFactory = _ => 600 };
        var remine = new Command("remine", "Drop every pair and have pair-miner mine every stored trial again (after the miner changed).") { timeout };
        remine.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: true);
            await host.StartBusAsync(cancellationToken);
            var trials = await host.Services.GetRequiredService<PairRepository>().ResetMiningAsync(cancellationToken);
            var correlationId = MassTransit.NewId.NextGuid();
            await using var counter = await EventCounter.StartAsync(host.Bus(), correlationId);
            // The same announcement ingestion makes; the trials are already stored, so pair-miner only mines.
            await host.Bus().PublishAllAsync(trials.Select(t => new DeepImagine.Contracts.V1.TrialStored(
                t.TrialId, t.Source, t.SourceRecordId, t.Version, t.ContentHash, false, t.HasResults, correlationId)), cancellationToken);
            if (!await counter.WaitForAsync(trials.Count, TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken: cancellationToken))
                throw new TimeoutException($"only {counter.Done} of {trials.Count} trials were mined again in time");
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
