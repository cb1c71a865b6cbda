using System.CommandLine;
using System.Diagnostics;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace DeepImagine.Cli;

internal static class CliCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("DeepImagine: import trials, inspect the store, run benchmarks.");
        root.Subcommands.Add(ImportCommand());
        root.Subcommands.Add(StatsCommand());
        root.Subcommands.Add(PairCommands.Build());
        root.Subcommands.Add(ModelCommands.Build());
        root.Subcommands.Add(BenchCommand());
        root.Subcommands.Add(EvaluateCommands.Evaluate());
        root.Subcommands.Add(EvaluateCommands.EvaluateDose());
        root.Subcommands.Add(ErrorQueueCommands.Build());
        root.Subcommands.Add(DatasetCommands.Build());
        foreach (var command in TrainingCommands.Build()) root.Subcommands.Add(command);
        return root;
    }

    private static Command ImportCommand()
    {
        var paths = new Argument<string[]>("paths") { Description = "files or folders (.jsonl.gz, .jsonl, .json, .xml, .csv)", Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "parse every record without publishing; prints parsed=, with_results=, rejected=" };
        var wait = new Option<bool>("--wait") { Description = "after publishing, wait until every record is stored and mined, or rejected" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait with --wait", DefaultValueFactory = _ => 300 };
        var command = new Command("import", "Publish every trial record found in the files and folders as TrialPublished.") { paths, dryRun, wait, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var inputs = result.GetValue(paths)!;
            return result.GetValue(dryRun)
                ? DryRun(inputs)
                : await PublishAsync(inputs, result.GetValue(wait), TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken);
        });
        return command;
    }

    private static int DryRun(string[] inputs)
    {
        int parsed = 0, withResults = 0, rejected = 0;
        foreach (var record in SourceFiles.Read(inputs))
        {
            try
            {
                var trial = TrialRecordParser.Parse(record);
                parsed++;
                if (trial.ResultsPosted) withResults++;
            }
            catch (TrialValidationException ex)
            {
                rejected++;
                Console.Error.WriteLine($"rejected: {ex.Message}");
            }
        }
        Console.WriteLine($"parsed={parsed} with_results={withResults} rejected={rejected}");
        return 0;
    }

    private static async Task<int> PublishAsync(string[] inputs, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Evidence Inference files are a training source of trace-generator, not trial records: sent over HTTP after the trials.
        var (trialFiles, evidenceFiles) = EvidenceInferenceImport.Partition(inputs);
        var records = trialFiles.SelectMany(SourceFiles.ReadFile).ToList();
        if (records.Count > 0 || evidenceFiles.Count == 0) await PublishTrialsAsync(records, wait, timeout, cancellationToken);
        if (evidenceFiles.Count > 0)
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            await EvidenceInferenceImport.SendAsync(api, evidenceFiles, cancellationToken);
        }
        return 0;
    }

    private static async Task PublishTrialsAsync(List<SourceRecord> records, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var host = CliHost.Create(withBus: true);
        await host.StartBusAsync(cancellationToken);
        var correlationId = NewId.NextGuid();
        await using var counter = wait ? await EventCounter.StartAsync(host.Bus(), correlationId) : null;
        var bus = host.Bus();
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
        {
            var publishing = progress.AddTask("publishing", maxValue: records.Count);
            await bus.PublishAllAsync(records.Select(r => r.ToMessage(correlationId)), cancellationToken, n => publishing.Increment(n));
            if (counter is not null)
            {
                var storing = progress.AddTask("stored and mined, or rejected", maxValue: records.Count);
                var distinct = records.Select(r => (r.SourceName, r.RecordId)).Distinct().Count();
                storing.MaxValue = distinct;
                if (!await counter.WaitForAsync(distinct, timeout, done => storing.Value = done, cancellationToken))
                    throw new TimeoutException($"only {counter.Done} of {distinct} records were mined or rejected within {timeout.TotalSeconds:0} s");
            }
        });
        Console.WriteLine($"published={records.Count} correlation_id={correlationId}");
        if (counter is not null)
        {
            foreach (var r in counter.Rejected) Console.Error.WriteLine($"rejected: record '{r.SourceRecordId}', field '{r.Field}': {r.Reason}");
            Console.WriteLine($"stored={counter.Stored} new_versions={counter.NewVersions} mined={counter.Mined} new_pairs={counter.NewPairs} rejected={counter.Rejected.Count}");
        }
        await host.StopAsync(CancellationToken.None);
    }

    private static Command StatsCommand()
    {
        var command = new Command("stats", "Counts of stored trials (latest versions) by source.");
        command.SetAction(async (_, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var client = PairMinerClient.Create(host.Configuration());
            long total = 0;
            foreach (var (source, records, withResults) in await client.TrialStatsAsync(cancellationToken))
            {
                Console.WriteLine($"trials {source} {records} with_results={withResults}");
                total += records;
            }
            Console.WriteLine($"trials_stored={total}");
            return 0;
        });
        return command;
    }

    private static Command BenchCommand()
    {
        var bench = new Command("bench", "Benchmarks against the running services.");
        var sizes = new Option<int[]>("--sizes") { Description = "record counts", DefaultValueFactory = _ => [1000, 10000], AllowMultipleArgumentsPerToken = true };
        var data = new Option<string>("--data") { Description = "v2 studies to vary", DefaultValueFactory = _ => "data/ctgov-v2-json/studies.jsonl.gz" };
        var report = new Option<string?>("--report") { Description = "markdown file whose ingest section is rewritten with the results" };
        var ingest = new Command("ingest", "Records end-to-end through the broker into PostgreSQL, in trials/s.") { sizes, data, report };
        ingest.SetAction(async (result, cancellationToken) =>
            await IngestBenchmark.RunAsync(result.GetValue(sizes)!, result.GetValue(data)!, result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(ingest);
        var pairSizes = new Option<int[]>("--sizes") { Description = "store sizes", DefaultValueFactory = _ => [1000, 10000, 50000], AllowMultipleArgumentsPerToken = true };
        var pairsCommand = new Command("pairs", "Ingest and mine at growing store sizes; time approximate mining for one new trial.") { pairSizes, data, report };
        pairsCommand.SetAction(async (result, cancellationToken) =>
            await PairsBenchmark.RunAsync(result.GetValue(pairSizes)!, result.GetValue(data)!, result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(pairsCommand);
        var skipPyTorch = new Option<bool>("--skip-pytorch") { Description = "do not run the PyTorch comparison" };
        var modelCommand = new Command("model", "Training and generation speed of the model core, against PyTorch.") { data, report, skipPyTorch };
        modelCommand.SetAction(async (result, cancellationToken) =>
            await ModelBenchmark.RunAsync(result.GetValue(data)!, result.GetValue(report), result.GetValue(skipPyTorch), cancellationToken));
        bench.Subcommands.Add(modelCommand);
        var trainSteps = new Option<int>("--steps") { Description = "optimizer steps of the benchmark job", DefaultValueFactory = _ => 40 };
        var trainCommand = new Command("train", "SFT tokens/s through gpu-learner against the same job in process.") { trainSteps, report };
        trainCommand.SetAction(async (result, cancellationToken) =>
            await TrainBenchmark.RunAsync(result.GetValue(trainSteps), result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(trainCommand);
        var rolloutPrompts = new Option<int>("--prompts") { Description = "prompts in the batch", DefaultValueFactory = _ => 8 };
        var groupSize = new Option<int>("--group-size") { Description = "completions per prompt", DefaultValueFactory = _ => 8 };
        var rolloutTokens = new Option<int>("--max-new-tokens") { Description = "token budget per completion", DefaultValueFactory = _ => 128 };
        var rolloutsCommand = new Command("rollouts", "rollout-generator's sampling (prompts x group size in one batch) in tokens/s, tiny and default model sizes.")
            { data, rolloutPrompts, groupSize, rolloutTokens, report };
        rolloutsCommand.SetAction(async (result, cancellationToken) => await RolloutBenchmark.RunAsync(result.GetValue(data)!, result.GetValue(rolloutPrompts),
            result.GetValue(groupSize), result.GetValue(rolloutTokens), result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(rolloutsCommand);
        var grpoSteps = new Option<int>("--steps") { Description = "GRPO steps of the benchmark job", DefaultValueFactory = _ => 10 };
        var grpoBase = new Option<string>("--base-model") { Description = "the model the policy starts from", DefaultValueFactory = _ => TrainingCommands.DefaultBaseModel };
        var grpoCommand = new Command("grpo", "A small grpo job through rollout-generator, reward-verifier and gpu-learner: both sides' tokens/s and the learner's waiting share.")
            { grpoSteps, grpoBase, report };
        grpoCommand.SetAction(async (result, cancellationToken) =>
            await GrpoBenchmark.RunAsync(result.GetValue(grpoSteps), result.GetValue(grpoBase)!, result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(grpoCommand);
        var ctOpen = new Option<string>("--file") { Description = "CT Open file: its items are the knowledge and the requests", DefaultValueFactory = _ => "data/benchmarks/ct-open/winter-2025.json" };
        var requests = new Option<int>("--requests") { Description = "prediction requests in all", DefaultValueFactory = _ => 64 };
        var clients = new Option<int>("--clients") { Description = "concurrent clients", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "requests sent first and not measured (items from the file's end, none of the measured ones)",
            DefaultValueFactory = _ => 16,
        };
        var predictCommand = new Command("predict", "Prediction latency and throughput through the gateway (CT Open items, concurrent clients).")
            { ctOpen, requests, clients, warmup, report };
        predictCommand.SetAction(async (result, cancellationToken) =>
            await PredictBenchmark.RunAsync(result.GetValue(ctOpen)!, result.GetValue(requests), result.GetValue(clients), result.GetValue(warmup),
                result.GetValue(report), cancellationToken));
        bench.Subcommands.Add(predictCommand);
        var store = new Option<string>("--store") { Description = "private model store (bases trained with the same settings are reused)", DefaultValueFactory = _ => ".run/bench-operators" };
        var pretrainSet = new Option<string[]>("--pretrain-set") { Description = "pretrain hyper-parameter name=value (repeatable)", AllowMultipleArgumentsPerToken = true };
        var sftSet = new Option<string[]>("--set") { Description = "sft hyper-parameter name=value (repeatable)", AllowMultipleArgumentsPerToken = true };
        var factors = new Option<string[]>("--factor") { Description = "operators to train (default: every factor with train and validation examples)", AllowMultipleArgumentsPerToken = true };
        var probe = new Option<bool>("--probe") { Description = "train nothing: a text classifier on the step prompts (ML.NET) per factor, the ceiling of what the prompt's words tell" };
        var readout = new Option<bool>("--readout")
        {
            Description = "train nothing: read each factor's newest operator already in --store on the validation subset (accuracy, majority, AUCs of the reading's scores)",
        };
        var operatorsCommand = new Command("operators", "make train's jobs in this process on a private store: validation scores, seconds and CPU seconds per operator.") { store, pretrainSet, sftSet, factors, probe, readout };
        operatorsCommand.SetAction(async (result, cancellationToken) =>
            await OperatorsBenchmark.RunAsync(result.GetValue(store)!, result.GetValue(pretrainSet) ?? [], result.GetValue(sftSet) ?? [], result.GetValue(factors) ?? [],
                result.GetValue(probe), cancellationToken, result.GetValue(readout)));
        bench.Subcommands.Add(operatorsCommand);
        return bench;
    }
}
