using System.CommandLine;
using System.Globalization;
using DeepImagine.Contracts.V1;
using Spectre.Console;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine train</c>, <c>jobs list|show|cancel</c> and <c>models list|register</c>: gpu-learner through the gateway.</summary>
internal static class TrainingCommands
{
    public const string DefaultBaseModel = "deepimagine-base";
    private static readonly string[] Kinds = ["pretrain", "sft", "grpo"];
    private static readonly string[] Finished = ["completed", "failed", "cancelled"];

    public static IEnumerable<Command> Build() => [TrainCommand(), JobsCommand(), ModelsCommand()];

    private static Command TrainCommand()
    {
        var kind = new Option<string>("--kind") { Description = "pretrain (tokenizer + small base model on the registry text), sft (LoRA operators) or grpo (RL on verifiable prompts through rollout-generator and reward-verifier)", Required = true };
        kind.AcceptOnlyFromAmong(Kinds);
        var factor = new Option<string?>("--factor") { Description = "sft: one factor's operator; 'all' for one model over all factors; default: one operator per factor" };
        var dataset = new Option<Guid?>("--dataset") { Description = "trace-generator dataset id (default: the most recently updated)" };
        var baseModel = new Option<string>("--base", "--base-model") { Description = "sft, grpo: the model to start from, name or name:vN (grpo: a base model or an sft operator)", DefaultValueFactory = _ => DefaultBaseModel };
        var settings = new Option<string[]>("--set") { Description = "hyper-parameter name=value (repeatable), e.g. --set steps=200", AllowMultipleArgumentsPerToken = true };
        var wait = new Option<bool>("--wait") { Description = "follow the jobs with a progress bar until they finish" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait with --wait", DefaultValueFactory = _ => 3600 };
        var command = new Command("train", "Submit training jobs to gpu-learner; with --wait, follow them to their published models.")
            { kind, factor, dataset, baseModel, settings, wait, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            var jobKind = result.GetValue(kind)!;
            var hyper = ParseSettings(result.GetValue(settings) ?? []);
            var chosen = await ChooseDatasetAsync(api, result.GetValue(dataset), jobKind, cancellationToken);
            var requests = Requests(jobKind, result.GetValue(factor), result.GetValue(baseModel)!, chosen, hyper);
            var jobs = new List<JobView>();
            foreach (var request in requests) jobs.Add(await api.SubmitAsync(request, cancellationToken));
            if (!result.GetValue(wait))
            {
                foreach (var job in jobs) Console.WriteLine($"job={job.JobId} kind={job.Kind} factor={job.Factor ?? "all"} status={job.Status}");
                return 0;
            }
            var done = await FollowAsync(api, jobs, TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken);
            foreach (var job in done.Where(j => j.Status != "completed"))
                Console.Error.WriteLine($"job {job.JobId} ({job.Kind} {job.Factor ?? ""}) {job.Status}: {job.Error}");
            foreach (var job in done) Console.WriteLine(SummaryLine(job));
            return done.All(j => j.Status == "completed") ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// The one-line result of a job: <c>job= kind= model= version= steps= train_loss= val_loss= val_direction_acc= majority_acc=</c>,
    /// for pretraining also <c>corpus_tokens=</c> (registry text and articles, in the job's tokens);
    /// for grpo <c>job= kind=grpo steps= val_reward_start= val_reward_end= val_acc_start= val_acc_end= dropped_stale=</c>.
    /// </summary>
    public static string SummaryLine(JobView job)
    {
        string Metric(string name) => job.LastMetrics.TryGetValue(name, out var v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : "na";
        if (job.Kind == "grpo")
        {
            // Greedy validation answers before and after RL, and how many scored groups were too stale to train on.
            return $"job={job.JobId} kind={job.Kind} steps={job.Step} val_reward_start={Metric("val_reward_start")} val_reward_end={Metric("val_reward_end")} "
                + $"val_acc_start={Metric("val_acc_start")} val_acc_end={Metric("val_acc_end")} dropped_stale={Metric("dropped_stale")}";
        }
        return $"job={job.JobId} kind={job.Kind} model={job.ModelName ?? "none"} version={job.ModelVersion?.ToString(CultureInfo.InvariantCulture) ?? "none"} "
            + $"steps={job.Step} train_loss={Metric("train_loss")} val_loss={Metric("val_loss")} val_direction_acc={Metric("val_direction_acc")} majority_acc={Metric("majority_acc")}"
            + (job.Factor is null ? "" : $" factor={job.Factor}")
            + (job.Kind == "pretrain" ? $" corpus_tokens={Metric("corpus_tokens")}" : "");
    }

    private static Dictionary<string, string> ParseSettings(IEnumerable<string> values)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || parts[0].Trim().Length == 0)
                throw new ArgumentException($"--set '{value}': expected name=value, e.g. --set steps=200");
            settings[parts[0].Trim()] = parts[1].Trim();
        }
        return settings;
    }

    private static async Task<DatasetSummary> ChooseDatasetAsync(GatewayApi api, Guid? id, string kind, CancellationToken cancellationToken)
    {
        if (id is { } given)
            return await api.DatasetAsync(given, cancellationToken) ?? throw new ArgumentException($"--dataset {given}: trace-generator has no such dataset (GET /api/datasets lists them)");
        return DefaultDataset(await api.DatasetsAsync(cancellationToken), kind)
            ?? throw new ArgumentException("no dataset to train on yet: import trials (./deepimagine import --wait data/) so trace-generator builds one, or pass --dataset");
    }

    /// <summary>
    /// The most recently updated dataset with something for <paramref name="kind"/> to train on (grpo: verifiable train
    /// prompts; else step examples or trials): an empty dataset (a test's, a fresh name) must not shadow the one with the data.
    /// </summary>
    public static DatasetSummary? DefaultDataset(IEnumerable<DatasetSummary> datasets, string kind) =>
        datasets.Where(d => kind == "grpo" ? (d.Prompts ?? []).Any(p => p.Split == "train" && p.Prompts > 0) : d.Examples > 0 || d.Trials > 0)
            .OrderByDescending(d => d.UpdatedAt).FirstOrDefault();

    private static List<SubmitJobRequest> Requests(string kind, string? factor, string baseModel, DatasetSummary dataset, Dictionary<string, string> hyper)
    {
        if (kind == "pretrain")
        {
            if (factor is not null) throw new ArgumentException("--factor applies to sft only; pretrain reads the registry text of every train trial");
            return [new SubmitJobRequest(kind, null, dataset.DatasetId, null, hyper)];
        }
        if (kind == "grpo")
        {
            if (factor is not null) throw new ArgumentException("--factor applies to sft only; grpo trains on every verifiable prompt of the dataset");
            return [new SubmitJobRequest(kind, baseModel, dataset.DatasetId, null, hyper)];
        }
        if (factor == "all") return [new SubmitJobRequest(kind, baseModel, dataset.DatasetId, null, hyper)];
        if (factor is not null) return [new SubmitJobRequest(kind, baseModel, dataset.DatasetId, factor, hyper)];
        // Local operators: one adapter per factor that has examples to train on and to evaluate with.
        var factors = dataset.Counts.Select(c => c.Factor).Distinct().Order(StringComparer.Ordinal).ToList();
        var trainable = factors.Where(f => Count(dataset, f, "train") > 0 && Count(dataset, f, "validation") > 0).ToList();
        foreach (var skipped in factors.Except(trainable))
            Console.Error.WriteLine($"factor {skipped}: skipped (train={Count(dataset, skipped, "train")} validation={Count(dataset, skipped, "validation")} examples)");
        if (trainable.Count == 0) throw new ArgumentException($"dataset {dataset.DatasetId} has no factor with both train and validation examples");
        return trainable.Select(f => new SubmitJobRequest(kind, baseModel, dataset.DatasetId, f, hyper)).ToList();
    }

    private static int Count(DatasetSummary dataset, string factor, string split) =>
        dataset.Counts.Where(c => c.Factor == factor && c.Split == split).Sum(c => c.Examples);

    /// <summary>Polls the jobs until all have finished, one progress bar each (loss and the service's ETA in the label).</summary>
    private static async Task<List<JobView>> FollowAsync(GatewayApi api, IReadOnlyList<JobView> jobs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var latest = jobs.ToDictionary(j => j.JobId);
        var deadline = DateTime.UtcNow + timeout;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var bars = jobs.ToDictionary(j => j.JobId, j => progress.AddTask(Label(j), maxValue: Math.Max(1, j.TotalSteps)));
                while (latest.Values.Any(j => !Finished.Contains(j.Status)))
                {
                    if (DateTime.UtcNow > deadline)
                        throw new TimeoutException($"jobs still running after {timeout.TotalSeconds:0} s; follow them with ./deepimagine jobs show <id>");
                    foreach (var id in latest.Keys.ToList())
                    {
                        if (Finished.Contains(latest[id].Status)) continue;
                        // Just submitted: the learner may not have recorded it yet.
                        if (await api.JobAsync(id, cancellationToken) is not { } job) continue;
                        latest[id] = job;
                        var bar = bars[id];
                        bar.MaxValue = Math.Max(1, job.TotalSteps);
                        bar.Value = job.Status == "completed" ? bar.MaxValue : job.Step;
                        bar.Description = Label(job);
                        if (Finished.Contains(job.Status)) bar.StopTask();
                    }
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            });
        return jobs.Select(j => latest[j.JobId]).ToList();
    }

    private static string Label(JobView job)
    {
        var loss = job.Loss is { } l ? l.ToString("0.000", CultureInfo.InvariantCulture) : "-";
        var eta = job.EtaSeconds is { } e && job.Status == "running" ? TimeSpan.FromSeconds(Math.Round(e)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "-";
        return Markup.Escape($"{job.Kind} {job.Factor ?? (job.Kind == "sft" ? "all" : "")} {job.Status} loss={loss} eta={eta}");
    }

    private static Command JobsCommand()
    {
        var jobs = new Command("jobs", "Training jobs of gpu-learner.");
        var limit = new Option<int>("--limit") { Description = "newest jobs to list", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "The newest jobs: one line each.") { limit };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            foreach (var job in await api.JobsAsync(result.GetValue(limit), cancellationToken))
                Console.WriteLine($"job={job.JobId} kind={job.Kind} factor={job.Factor ?? "-"} status={job.Status} step={job.Step}/{job.TotalSteps} "
                    + $"model={job.ModelName ?? "-"}{(job.ModelVersion is { } v ? ":v" + v : "")} submitted={job.SubmittedAt:O}");
            return 0;
        });
        var id = new Argument<Guid>("id") { Description = "job id" };
        var show = new Command("show", "A job's status, progress and last metrics.") { id };
        show.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            var jobId = result.GetValue(id);
            var job = await api.JobAsync(jobId, cancellationToken) ?? throw new ArgumentException($"job {jobId} does not exist (see ./deepimagine jobs list)");
            Console.WriteLine($"status={job.Status} step={job.Step}/{job.TotalSteps} loss={job.Loss?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-"}"
                + (job.Error is null ? "" : $" error={job.Error}"));
            foreach (var (name, value) in job.HyperParameters.OrderBy(p => p.Key, StringComparer.Ordinal)) Console.WriteLine($"set {name}={value}");
            if (job.CurvesUrl is not null) Console.WriteLine($"curves={api.BaseUrl.TrimEnd('/')}{job.CurvesUrl}");
            Console.WriteLine(SummaryLine(job));
            return 0;
        });
        var cancelId = new Argument<Guid>("id") { Description = "job id" };
        var cancel = new Command("cancel", "Cancel a queued or running job; it keeps its last checkpoint.") { cancelId };
        cancel.SetAction(async (result, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            var job = await api.CancelAsync(result.GetValue(cancelId), cancellationToken);
            Console.WriteLine($"job={job.JobId} status={job.Status} cancel_requested=true");
            return 0;
        });
        jobs.Subcommands.Add(list);
        jobs.Subcommands.Add(show);
        jobs.Subcommands.Add(cancel);
        return jobs;
    }

    private static Command ModelsCommand()
    {
        var models = new Command("models", "Models in gpu-learner's store.");
        var list = new Command("list", "Every complete model version.");
        list.SetAction(async (_, cancellationToken) =>
        {
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            foreach (var m in await api.ModelsAsync(cancellationToken))
                Console.WriteLine($"model={m.Name} version={m.Version} kind={m.Kind} parent={(m.ParentModel is null ? "-" : $"{m.ParentModel}:v{m.ParentVersion}")} path={m.Path} sha256={m.Sha256}");
            return 0;
        });
        var name = new Option<string>("--name") { Description = "model name (lower-case letters, digits, '.', '-', '_')", Required = true };
        var path = new Option<string>("--path") { Description = "a Hugging Face Qwen3 checkpoint directory (config.json, *.safetensors, tokenizer files)", Required = true };
        var register = new Command("register", "Register a Hugging Face Qwen3 checkpoint as a base model (copied into the store).") { name, path };
        register.SetAction(async (result, cancellationToken) =>
        {
            var directory = Path.GetFullPath(result.GetValue(path)!);
            if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"--path {directory}: no such directory");
            using var host = CliHost.Create(withBus: false);
            using var api = new GatewayApi(host.Configuration());
            var m = await api.RegisterModelAsync(new RegisterModelRequest(result.GetValue(name)!, directory), cancellationToken);
            Console.WriteLine($"model={m.Name} version={m.Version} kind={m.Kind} path={m.Path} sha256={m.Sha256}");
            return 0;
        });
        models.Subcommands.Add(list);
        models.Subcommands.Add(register);
        return models;
    }
}
