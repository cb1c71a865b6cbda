using System.Diagnostics;
using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepImagine.GpuLearner.Jobs;

/// <summary>
/// Runs the registry's jobs one at a time (one device per learner process): first a job left running by a stopped or
/// killed process (it resumes from its last checkpoint), then the oldest queued one. A cancel request stops the job
/// at its next step and keeps its last checkpoint; a host shutdown saves a checkpoint and leaves the job running, so
/// the next start resumes it.
/// </summary>
public sealed class JobRunner(JobRepository jobs, TrainingExecutor executor, IBus bus, JobSignal signal, LearnerOptions options, ILogger<JobRunner> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var ran = false;
            try
            {
                foreach (var job in await jobs.RunnableAsync(16, stoppingToken))
                {
                    // Another learner on the same registry may hold it; this one takes the next.
                    await using var lease = await jobs.TryLeaseAsync(job.JobId, stoppingToken);
                    if (lease is null) continue;
                    // Read again under the lease: the holder before may have finished it meanwhile.
                    var current = await jobs.GetAsync(job.JobId, stoppingToken);
                    if (current is null || JobStatus.IsFinished(current.Status)) continue;
                    await RunAsync(current, stoppingToken);
                    ran = true;
                    break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "could not take or run a job; retrying");
            }
            if (!ran) await signal.WaitAsync(TimeSpan.FromSeconds(options.PollSeconds), stoppingToken);
        }
    }

    public async Task RunAsync(JobRecord job, CancellationToken stoppingToken)
    {
        if (job.CancelRequested)
        {
            await FinishAsync(job, JobStatus.Cancelled, null, null, CancellationToken.None);
            return;
        }
        JobSettings settings;
        try
        {
            settings = JobSettings.Parse(job.Kind, job.HyperParameters);
        }
        catch (JobValidationException ex)
        {
            await FinishAsync(job, JobStatus.Failed, ex.Message, null, CancellationToken.None);
            return;
        }
        if (job.Status == JobStatus.Running) logger.LogInformation("resuming job {JobId} ({Kind}) from its last checkpoint", job.JobId, job.Kind);
        else logger.LogInformation("starting job {JobId} ({Kind}, {Steps} steps)", job.JobId, job.Kind, settings.Steps);
        await jobs.MarkRunningAsync(job.JobId, stoppingToken);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watcher = WatchForCancelAsync(job.JobId, cancel);
        var sink = new RegistrySink(job, jobs, bus, executor.WorkingCurvesPath(job.JobId), TimeSpan.FromSeconds(options.ProgressIntervalSeconds), logger);
        try
        {
            // Training is synchronous native work: off the host's threads.
            var outcome = await Task.Run(() => executor.RunAsync(job, settings, sink, cancel.Token), CancellationToken.None);
            var manifest = outcome.Version.Manifest;
            await jobs.RegisterVersionAsync(outcome.Version, CancellationToken.None);
            // An sft job may stop before its steps setting (max_epochs); its metrics say how many it ran.
            var ran = outcome.Metrics.TryGetValue("steps", out var steps) ? (int)steps : settings.Steps;
            await jobs.UpdateProgressAsync(job.JobId, ran, sink.LastLoss, 0, outcome.Metrics, CancellationToken.None);
            await bus.Publish(new CheckpointPublished(job.JobId, manifest.Name, manifest.Version, manifest.ParentModel, manifest.ParentVersion, manifest.Kind,
                outcome.Version.RelativePath, manifest.Sha256, outcome.Metrics, DateTimeOffset.UtcNow), CancellationToken.None);
            await FinishAsync(job, JobStatus.Completed, null, outcome, CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogInformation("job {JobId} stopped with the host; it resumes from its last checkpoint at the next start", job.JobId);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("job {JobId} cancelled; its last checkpoint stays in {Path}", job.JobId, executor.CheckpointPath(job.JobId));
            await FinishAsync(job, JobStatus.Cancelled, null, null, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "job {JobId} failed", job.JobId);
            await FinishAsync(job, JobStatus.Failed, ex.Message, null, CancellationToken.None);
        }
        finally
        {
            await cancel.CancelAsync();
            await watcher;
        }
    }

    private async Task WatchForCancelAsync(Guid jobId, CancellationTokenSource cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancel.Token);
                if (await jobs.IsCancelRequestedAsync(jobId, cancel.Token)) await cancel.CancelAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // the job ended or was cancelled: nothing more to watch
        }
    }

    private async Task FinishAsync(JobRecord job, string status, string? error, TrainingOutcome? outcome, CancellationToken cancellationToken)
    {
        await jobs.FinishAsync(job.JobId, status, error, outcome?.Version.Manifest.Name, outcome?.Version.Manifest.Version, cancellationToken);
        var current = await jobs.GetAsync(job.JobId, cancellationToken);
        await bus.Publish(new TrainingJobProgress(job.JobId, job.Kind, status, current?.Step ?? 0, current?.TotalSteps ?? job.TotalSteps, current?.Loss,
            null, null, 0, DateTimeOffset.UtcNow), cancellationToken);
    }

    /// <summary>
    /// Writes a job's progress to the registry and the bus at a bounded rate, and its per-step metrics at each checkpoint
    /// (steps after the last checkpoint are repeated by a resumed job, and then replaced).
    /// </summary>
    private sealed class RegistrySink(JobRecord job, JobRepository jobs, IBus bus, string curvesPath, TimeSpan interval, ILogger logger) : ITrainingSink
    {
        private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
        private bool _reported;

        public double? LastLoss { get; private set; }

        public void Step(JobMetricPoint point, int totalSteps, double? etaSeconds)
        {
            LastLoss = point.Loss;
            if (_reported && _sinceReport.Elapsed < interval && point.Step < totalSteps) return;
            _reported = true;
            _sinceReport.Restart();
            try
            {
                // Called on the training thread, which is synchronous native work anyway; the writes are small.
                jobs.UpdateProgressAsync(job.JobId, point.Step, point.Loss, etaSeconds, null).GetAwaiter().GetResult();
                bus.Publish(new TrainingJobProgress(job.JobId, job.Kind, JobStatus.Running, point.Step, totalSteps, point.Loss, point.LearningRate,
                    point.TokensPerSecond, etaSeconds, DateTimeOffset.UtcNow)).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                // Progress is advisory: a broker or database hiccup must not stop training.
                logger.LogWarning(ex, "could not report progress of job {JobId}", job.JobId);
            }
        }

        public async Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken)
        {
            await jobs.RecordMetricsAsync(job.JobId, points, cancellationToken);
            var evaluated = points.LastOrDefault(p => p.ValLoss is not null || p.ValDirectionAccuracy is not null);
            Dictionary<string, double>? last = null;
            if (evaluated is not null)
            {
                last = new Dictionary<string, double>();
                if (evaluated.ValLoss is { } l) last["val_loss"] = l;
                if (evaluated.ValDirectionAccuracy is { } a) last["val_direction_acc"] = a;
                if (evaluated.MajorityAccuracy is { } m) last["majority_acc"] = m;
            }
            await jobs.UpdateProgressAsync(job.JobId, step, points.LastOrDefault()?.Loss ?? LastLoss, null, last, cancellationToken);
            if (evaluated is not null || job.Kind == JobKinds.Grpo)
            {
                try
                {
                    TrainingCurves.Save(await HistoryAsync(cancellationToken), $"{job.Kind} job {job.JobId.ToString()[..8]}", curvesPath);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "could not draw the curves of job {JobId}", job.JobId);
                }
            }
        }

        public Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken) => jobs.MetricsAsync(job.JobId, cancellationToken);

        /// <summary>A policy version published mid-job (grpo): registered and announced like a final one, so rollout workers can load it.</summary>
        public async Task VersionPublishedAsync(StoredVersion version, CancellationToken cancellationToken)
        {
            var manifest = version.Manifest;
            await jobs.RegisterVersionAsync(version, cancellationToken);
            await bus.Publish(new CheckpointPublished(job.JobId, manifest.Name, manifest.Version, manifest.ParentModel, manifest.ParentVersion, manifest.Kind,
                version.RelativePath, manifest.Sha256, manifest.Metrics, DateTimeOffset.UtcNow), cancellationToken);
        }
    }
}
