using System.Globalization;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench train</c>: the same small SFT job through the service (submitted via the gateway, run by gpu-learner with
/// its registry writes and bus progress) and in this process (the same <see cref="TrainingExecutor"/> on a private copy
/// of the base model, no registry, no bus). Each figure is the trainer's own tokens/s over the job's one training chunk.
/// </summary>
internal static class TrainBenchmark
{
    private const string Section = "train";

    public static async Task<int> RunAsync(int steps, string? report, CancellationToken cancellationToken)
    {
        using var host = CliHost.Create(withBus: false);
        var configuration = host.Configuration();
        using var api = new GatewayApi(configuration);
        var dataset = TrainingCommands.DefaultDataset(await api.DatasetsAsync(cancellationToken), "sft")
            ?? throw new ArgumentException("no dataset to train on: run `make run` (import the bundled data) first");
        var factor = dataset.Counts.Where(c => c.Split == JobValidator.Train).OrderByDescending(c => c.Examples).First().Factor;
        var options = configuration.GetSection(LearnerOptions.SectionName).Get<LearnerOptions>() ?? new LearnerOptions();
        var store = new ModelStore(options.ResolvedModelStore());
        var baseVersion = store.Find(TrainingCommands.DefaultBaseModel)
            ?? throw new ArgumentException($"no '{TrainingCommands.DefaultBaseModel}' model in {store.Root}: run `make train` (or ./deepimagine train --kind pretrain --wait) first");
        var hyper = new Dictionary<string, string>
        {
            ["steps"] = steps.ToString(CultureInfo.InvariantCulture), ["batch_size"] = "8", ["warmup_steps"] = "2", ["checkpoint_every"] = steps.ToString(CultureInfo.InvariantCulture),
            ["eval_every"] = steps.ToString(CultureInfo.InvariantCulture), ["eval_examples"] = "1", ["eval_max_new_tokens"] = "8", ["model_name"] = "bench-train",
        };
        var settings = JobSettings.Parse(JobKinds.Sft, hyper);

        Console.WriteLine($"dataset={dataset.DatasetId} factor={factor} base={baseVersion.Manifest.Name}:v{baseVersion.Manifest.Version} steps={steps}");
        var submitted = await api.SubmitAsync(new SubmitJobRequest(JobKinds.Sft, $"{baseVersion.Manifest.Name}:v{baseVersion.Manifest.Version}", dataset.DatasetId, factor, hyper,
            "bench-train-" + Guid.NewGuid().ToString("N")), cancellationToken);
        var deadline = DateTime.UtcNow.AddHours(1);
        JobView job;
        while (true)
        {
            job = await api.JobAsync(submitted.JobId, cancellationToken) ?? submitted;
            if (job.Status is "completed" or "failed" or "cancelled") break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"bench job {job.JobId} still {job.Status} after an hour");
            await Task.Delay(1000, cancellationToken);
        }
        if (job.Status != "completed") throw new InvalidOperationException($"bench job {job.JobId} {job.Status}: {job.Error}");
        var serviceMetrics = await api.MetricsAsync(job.JobId, cancellationToken);
        var serviceTps = serviceMetrics[^1].TokensPerSecond;
        Console.WriteLine($"service job={job.JobId} tokens_per_second={serviceTps:0}");

        // The same job in process, on a private store holding a copy of the same base version.
        var root = Path.Combine(Path.GetTempPath(), "deepimagine-bench-train-" + Guid.NewGuid().ToString("N"));
        try
        {
            var privateStore = new ModelStore(root);
            var copy = privateStore.RegisterCheckpoint(baseVersion.Manifest.Name, baseVersion.Directory);
            using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
            var executor = new TrainingExecutor(privateStore, new TraceGeneratorDatasets(http), NullLogger<TrainingExecutor>.Instance);
            var record = new JobRecord(Guid.NewGuid(), "bench-inproc", JobKinds.Sft, copy.Manifest.Name, copy.Manifest.Version, dataset.DatasetId, factor,
                settings.Normalized, JobStatus.Running, false, 0, steps, null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null);
            var sink = new MemorySink();
            await executor.RunAsync(record, settings, sink, cancellationToken);
            var inprocTps = sink.Points[^1].TokensPerSecond;
            Console.WriteLine($"in-process tokens_per_second={inprocTps:0}");

            if (report is not null)
            {
                BenchmarkReport.Update(report, Section, $"""
                    ## Training through the service (`make bench-train`)

                    One SFT job (LoRA operator for factor `{factor}`, {steps} steps, batch 8, sequences up to {settings.MaxSequenceLength} tokens) on
                    the base model `{baseVersion.Manifest.Name}:v{baseVersion.Manifest.Version}`, run twice: submitted through the gateway and run by
                    gpu-learner (registry writes and bus progress at its bounded rate, checkpoint, evaluation of one example, publishing), and
                    in this process with the same `TrainingExecutor` and no registry or bus. Each figure is the trainer's tokens/s over the
                    job's training chunk. Target: `sft_tps ≥ 0.9 × inproc_tps`. Other work on the machine at the same time moves these figures.

                    | | tokens/s |
                    |---|---|
                    | through the service (`sft_tps`) | {serviceTps:0} |
                    | in process (`inproc_tps`) | {inprocTps:0} |
                    | ratio | {serviceTps / inprocTps:0.00} |

                    Command: `make bench-train` (`deepimagine bench train --steps {steps}`), {BenchmarkReport.Machine()}, device {DeepImagine.Model.TorchDevice.Default.type}, {DateTime.UtcNow:yyyy-MM-dd}.
                    """);
            }
            Console.WriteLine($"sft_tps={serviceTps.ToString("0", CultureInfo.InvariantCulture)} inproc_tps={inprocTps.ToString("0", CultureInfo.InvariantCulture)}");
            return 0;
        }
        finally
        {
            // The private store is scratch: only its timing matters.
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private sealed class MemorySink : ITrainingSink
    {
        public List<JobMetricPoint> Points { get; } = [];
        public void Step(JobMetricPoint point, int totalSteps, double? etaSeconds) => Points.Add(point);
        public Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<JobMetricPoint>>(Points);
    }
}
