using System.CommandLine;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine datasets list|wait</c>: trace-generator's datasets of step examples, through the gateway.</summary>
internal static class DatasetCommands
{
    public static Command Build()
    {
        var datasets = new Command("datasets", "trace-generator's datasets of step examples.");
        var list = new Command("list", "Every dataset: examples, trials, last update.");
        list.SetAction(async (_, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            foreach (var d in await api.DatasetsAsync(cancellationToken))
                Console.WriteLine($"dataset={d.DatasetId} name={d.Name} examples={d.Examples} trials={d.Trials} updated={d.UpdatedAt:O}");
            return 0;
        });
        var quiet = new Option<int>("--quiet-seconds") { Description = "how long the example count must stay unchanged", DefaultValueFactory = _ => 20 };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait at most", DefaultValueFactory = _ => 900 };
        var wait = new Command("wait", "Wait until trace-generator has written the step examples of everything mined (the count stops growing).") { quiet, timeout };
        wait.SetAction(async (result, cancellationToken) =>
        {
            var quietFor = TimeSpan.FromSeconds(result.GetValue(quiet));
            var limit = TimeSpan.FromSeconds(result.GetValue(timeout));
            if (quietFor <= TimeSpan.Zero || limit <= TimeSpan.Zero) throw new ArgumentException("--quiet-seconds and --timeout must be positive");
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var last = -1L;
            var stableSince = TimeSpan.Zero;
            while (true)
            {
                var all = await api.DatasetsAsync(cancellationToken);
                var examples = all.Sum(d => (long)d.Examples);
                if (examples != last)
                {
                    last = examples;
                    stableSince = clock.Elapsed;
                }
                if (examples > 0 && clock.Elapsed - stableSince >= quietFor)
                {
                    Console.WriteLine($"datasets={all.Count} examples={examples} (unchanged for {quietFor.TotalSeconds:0} s)");
                    return 0;
                }
                if (clock.Elapsed > limit)
                    throw new TimeoutException(examples == 0
                        ? $"no step examples after {limit.TotalSeconds:0} s: import trials first (./deepimagine import --wait data), and see .run/trace-generator.log"
                        : $"the step examples were still growing after {limit.TotalSeconds:0} s ({examples} so far); wait longer with --timeout");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        });
        datasets.Subcommands.Add(list);
        datasets.Subcommands.Add(wait);
        return datasets;
    }
}
