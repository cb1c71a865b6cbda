using System.CommandLine;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using MassTransit;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine pairs export|stats|remine</c>: through pair-miner's read API and its RemineTrials command.</summary>
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
        return pairs;
    }
}
