using System.Threading.Channels;
using DeepImagine.Predictor.Data;
using DeepImagine.Predictor.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepImagine.Predictor.Jobs;

/// <summary>Wakes the worker when a job is submitted (it also polls, so jobs left by a stopped predictor resume).</summary>
public sealed class JobSignal
{
    private readonly Channel<bool> channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await channel.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the poll interval passed
        }
    }
}

/// <summary>
/// Runs prediction jobs one item at a time, oldest job first; each item's predictions are stored with its done mark in
/// one transaction. After a restart it continues with the first item not done, so nothing finished is lost or redone.
/// </summary>
public sealed class PredictionJobWorker(PredictionRepository repository, PredictionEngine engine, JobSignal signal, ILogger<PredictionJobWorker> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await repository.NextJobAsync(stoppingToken) is { } jobId)
                {
                    await RunAsync(jobId, stoppingToken);
                    continue;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database away for a moment: try again after the poll interval.
                logger.LogWarning(ex, "prediction jobs: {Message}", ex.Message);
            }
            await signal.WaitAsync(PollInterval, stoppingToken);
        }
    }

    private async Task RunAsync(Guid jobId, CancellationToken cancellationToken)
    {
        while (await repository.NextItemAsync(jobId, cancellationToken) is { } next)
        {
            IReadOnlyList<QuestionPrediction> predictions;
            try
            {
                predictions = await engine.PredictAsync(new PredictionTarget(next.Item, null, next.Cutoff), cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or PredictionInputException)
            {
                await repository.FinishJobAsync(jobId, JobStatus.Failed, $"items[{next.Index}]: {ex.Message}", cancellationToken);
                logger.LogError(ex, "prediction job {JobId} failed at item {Index}", jobId, next.Index);
                return;
            }
            await repository.CompleteItemAsync(jobId, next.Index, next.Item, predictions, cancellationToken);
        }
        await repository.FinishJobAsync(jobId, JobStatus.Completed, null, cancellationToken);
        logger.LogInformation("prediction job {JobId} completed", jobId);
    }
}
