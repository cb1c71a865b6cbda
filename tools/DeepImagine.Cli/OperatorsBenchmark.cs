using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench operators</c>: what <c>make train</c> does (pretrain, then one SFT operator per factor), in this process with
/// the same <see cref="TrainingExecutor"/> on a private model store, reading the newest dataset through the gateway. For
/// trying settings: each job's id follows from its inputs and settings, so a base already trained with the same
/// settings in that store is reused. Prints one line per operator with its validation scores, wall-clock seconds and
/// this process's CPU seconds.
/// </summary>
internal static class OperatorsBenchmark
{
    public static async Task<int> RunAsync(string storeDirectory, string[] pretrainSettings, string[] sftSettings, string[] factors, bool probe, CancellationToken cancellationToken,
        bool readout = false)
    {
        using var host = CliHost.Create(withBus: false);
        using var api = new GatewayApi(host.Configuration());
        var dataset = (await api.DatasetsAsync(cancellationToken)).OrderByDescending(d => d.UpdatedAt).FirstOrDefault()
            ?? throw new ArgumentException("no dataset to train on: import trials first (./deepimagine import --wait data)");
        using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
        var chosen = factors.Length > 0 ? factors
            : dataset.Counts.Select(c => c.Factor).Distinct().Order(StringComparer.Ordinal)
                .Where(f => dataset.Count(JobValidator.Train, f) > 0 && dataset.Count(JobValidator.Validation, f) > 0).ToArray();
        var sft = JobSettings.Parse(JobKinds.Sft, Settings(sftSettings));
        if (probe)
        {
            await OperatorsProbe.RunAsync(new TraceGeneratorDatasets(http), dataset.DatasetId, chosen, sft.EvalExamples, cancellationToken);
            return 0;
        }
        var store = new ModelStore(Path.GetFullPath(storeDirectory));
        if (readout)
        {
            await ReadoutAsync(store, new TraceGeneratorDatasets(http), dataset.DatasetId, chosen, sft, cancellationToken);
            return 0;
        }
        // The executor's own log (each evaluation with a sample answer) shows with Logging__LogLevel__DeepImagine=Information.
        var executor = new TrainingExecutor(store, new TraceGeneratorDatasets(http), host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TrainingExecutor>());
        var total = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;

        var pretrain = JobSettings.Parse(JobKinds.Pretrain, Settings(pretrainSettings));
        var (baseOutcome, baseSeconds, baseCpu) = await TimedAsync(() => executor.RunAsync(
            Job(JobKinds.Pretrain, null, null, dataset.DatasetId, null, pretrain), pretrain, new MemorySink(), cancellationToken));
        Console.WriteLine($"pretrain model={baseOutcome.Version.Manifest.Name} version={baseOutcome.Version.Manifest.Version} "
            + $"val_loss={Metric(baseOutcome.Metrics, "val_loss")} seconds={baseSeconds:0} cpu_seconds={baseCpu:0}");

        var manifest = baseOutcome.Version.Manifest;
        foreach (var factor in chosen)
        {
            var job = Job(JobKinds.Sft, manifest.Name, manifest.Version, dataset.DatasetId, factor, sft);
            var (outcome, seconds, cpu) = await TimedAsync(() => executor.RunAsync(job, sft, new MemorySink(), cancellationToken));
            var m = outcome.Metrics;
            Console.WriteLine($"factor={factor} val_direction_acc={Metric(m, "val_direction_acc")} val_direction_acc_free={Metric(m, "val_direction_acc_free")} "
                + $"majority_acc={Metric(m, "majority_acc")} val_examples={Metric(m, "val_examples")} parseable={Metric(m, "val_parseable_rate")} "
                + $"precision(h/l/s)={Metric(m, "val_precision_higher")}/{Metric(m, "val_precision_lower")}/{Metric(m, "val_precision_same")} "
                + $"recall(h/l/s)={Metric(m, "val_recall_higher")}/{Metric(m, "val_recall_lower")}/{Metric(m, "val_recall_same")} "
                + $"auc(h/l,changed/same)={Metric(m, "val_auc_higher_vs_lower")}/{Metric(m, "val_auc_changed_vs_same")} change_score_sd={Metric(m, "val_change_score_sd")} "
                + $"val_loss={Metric(m, "val_loss")} train_loss={Metric(m, "train_loss")} seconds={seconds:0} cpu_seconds={cpu:0}");
        }
        var cpuTotal = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
        Console.WriteLine($"total seconds={total.Elapsed.TotalSeconds:0} cpu_seconds={cpuTotal:0} pretrain=[{string.Join(' ', pretrainSettings)}] sft=[{string.Join(' ', sftSettings)}]");
        return 0;
    }

    /// <summary>
    /// Trains nothing: reads each factor's newest operator already in the store on the job's validation subset with the
    /// job's own scoring (<see cref="DirectionEvaluator.Evaluate"/>), so operators trained elsewhere (make train's) can be
    /// examined: accuracy, majority, and what the reading's scores know (<see cref="DirectionSignal"/>).
    /// </summary>
    private static async Task ReadoutAsync(ModelStore store, TraceGeneratorDatasets datasets, Guid datasetId, string[] factors, JobSettings sft, CancellationToken cancellationToken)
    {
        foreach (var factor in factors)
        {
            var version = NewestOperator(store, factor);
            var validation = await datasets.ExamplesAsync(datasetId, JobValidator.Validation, factor, cancellationToken);
            if (validation.Count == 0) throw new ArgumentException($"--readout: dataset {datasetId} has no validation examples for factor '{factor}'");
            var subset = DirectionEvaluator.ValidationSubset(validation, sft.EvalExamples);
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (model, tokenizer) = StoredModels.Load(store, version, TorchDevice.Default);
            using (model)
            {
                var score = DirectionEvaluator.Evaluate(model, tokenizer, subset, DirectionEvaluator.AnswerBudget(sft, tokenizer, subset),
                    sft.WithTrace ? null : sft.EvalFreeExamples);
                var signal = score.Signal!;
                Console.WriteLine($"factor={factor} operator={version.RelativePath} val_direction_acc={F(score.DirectionAccuracy)} majority_acc={F(score.MajorityAccuracy)} "
                    + $"val_examples={score.Examples} recall(h/l/s)={F(score.Recall["higher"])}/{F(score.Recall["lower"])}/{F(score.Recall["same"])} "
                    + $"auc(h/l,changed/same)={F(signal.HigherVersusLowerAuc)}/{F(signal.ChangedVersusSameAuc)} change_score_sd={F(signal.ChangeScoreSpread)} "
                    + $"seconds={clock.Elapsed.TotalSeconds:0} cpu_seconds={(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0}");
            }
        }
    }

    /// <summary>The newest operator of a factor in the store: a lora version named as sft jobs name them, &lt;base&gt;-&lt;factor&gt;.</summary>
    internal static StoredVersion NewestOperator(ModelStore store, string factor) =>
        store.AllVersions()
            .Where(v => v.Manifest.Kind == ModelStore.LoraKind && v.Manifest.Name == $"{v.Manifest.ParentModel}-{factor}")
            .MaxBy(v => v.Manifest.CreatedAt)
        ?? throw new ArgumentException($"--readout: the store {store.Root} has no operator for factor '{factor}' (a lora version named <base>-{factor})");

    private static string F(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "na";

    private static async Task<(TrainingOutcome Outcome, double Seconds, double CpuSeconds)> TimedAsync(Func<Task<TrainingOutcome>> run)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var outcome = await run();
        return (outcome, clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static Dictionary<string, string> Settings(IEnumerable<string> values)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || parts[0].Trim().Length == 0) throw new ArgumentException($"setting '{value}': expected name=value, e.g. steps=200");
            settings[parts[0].Trim()] = parts[1].Trim();
        }
        return settings;
    }

    /// <summary>A job whose id follows from its inputs and settings, so the same run in the same store is found again.</summary>
    private static JobRecord Job(string kind, string? baseModel, int? baseVersion, Guid datasetId, string? factor, JobSettings settings)
    {
        var key = $"{kind}|{baseModel}|{baseVersion}|{datasetId}|{factor}|{string.Join(';', settings.Normalized.Select(kv => $"{kv.Key}={kv.Value}"))}";
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(key))[..16]);
        return new JobRecord(id, "bench-operators-" + id.ToString("N"), kind, baseModel, baseVersion, datasetId, factor, settings.Normalized, JobStatus.Running,
            false, 0, settings.Steps, null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null);
    }

    private static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v.ToString("0.###", CultureInfo.InvariantCulture) : "na";

    private sealed class MemorySink : ITrainingSink
    {
        private readonly List<JobMetricPoint> _points = [];
        public void Step(JobMetricPoint point, int totalSteps, double? etaSeconds) => _points.Add(point);
        public Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<JobMetricPoint>>(_points);
    }
}
