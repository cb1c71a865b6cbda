using DeepImagine.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.GpuLearner.Jobs;

/// <summary>Wakes the runner when a job is queued (it also polls, so a lost signal only delays).</summary>
public sealed class JobSignal
{
    private readonly SemaphoreSlim _signal = new(0);
    public void Raise() => _signal.Release();
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Records a submitted job in the registry, once per idempotency key, after validating it; an invalid job is recorded
/// as failed with the reason (and announced), so whoever submitted it over the bus can see why.
/// Training itself happens in <see cref="JobRunner"/>, one job at a time, so this consumer never holds a message for hours.
/// </summary>
public sealed class SubmitTrainingJobConsumer(JobValidator validator, JobRepository jobs, JobSignal signal, ILogger<SubmitTrainingJobConsumer> logger)
    : IConsumer<SubmitTrainingJob>
{
    public async Task Consume(ConsumeContext<SubmitTrainingJob> context)
    {
        var job = context.Message;
        var existing = await jobs.FindByKeyAsync(job.IdempotencyKey, context.CancellationToken);
        if (existing is not null)
        {
            logger.LogInformation("job {JobId} has idempotency key {Key} of job {Existing}: not run again", job.JobId, job.IdempotencyKey, existing.JobId);
            return;
        }
        JobRecord record;
        try
        {
            var valid = await validator.ValidateAsync(job, context.CancellationToken);
            record = NewRecord(job, valid.BaseModel, valid.BaseVersion, valid.Settings.Normalized, valid.Settings.Steps, JobStatus.Queued, null);
        }
        catch (JobValidationException ex)
        {
            logger.LogWarning("job {JobId} refused: {Reason}", job.JobId, ex.Message);
            record = NewRecord(job, job.BaseModel, null, job.HyperParameters, 0, JobStatus.Failed, ex.Message);
            if (await jobs.InsertAsync(record, context.CancellationToken))
                await context.Publish(new TrainingJobProgress(job.JobId, job.Kind, JobStatus.Failed, 0, 0, null, null, null, null, DateTimeOffset.UtcNow));
            return;
        }
        if (await jobs.InsertAsync(record, context.CancellationToken))
        {
            await context.Publish(new TrainingJobProgress(job.JobId, job.Kind, JobStatus.Queued, 0, record.TotalSteps, null, null, null, null, DateTimeOffset.UtcNow));
            signal.Raise();
        }
    }

    private static JobRecord NewRecord(SubmitTrainingJob job, string? baseModel, int? baseVersion, IReadOnlyDictionary<string, string> hyperParameters,
        int totalSteps, string status, string? error) =>
        new(job.JobId, job.IdempotencyKey, job.Kind, baseModel, baseVersion, job.DatasetId, job.Factor, hyperParameters, status, false, 0, totalSteps,
            null, null, new Dictionary<string, double>(), null, null, error, job.SubmittedAt, null, status == JobStatus.Failed ? DateTimeOffset.UtcNow : null);
}

/// <summary>Durable queue <c>gpu-learner-submit-training-job</c>; transient failures (database, trace-generator) are retried.</summary>
public sealed class SubmitTrainingJobConsumerDefinition : ConsumerDefinition<SubmitTrainingJobConsumer>
{
    public const string QueueName = "gpu-learner-submit-training-job";

    public SubmitTrainingJobConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitTrainingJobConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<JobValidationException>();
            retry.Intervals(100, 500, 2000, 5000);
        });
    }
}
