using DeepImagine.ServiceDefaults;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.PairMiner.Components.Ingestion;

/// <summary>
/// Parses, validates and stores each published trial record. Storing is idempotent (one row per content hash), so a
/// redelivered message stores nothing new and only announces the stored trial again. Mining follows on TrialStored.
/// </summary>
public sealed partial class TrialPublishedConsumer(ITrialStore trials, ILogger<TrialPublishedConsumer> logger) : IConsumer<TrialPublished>
{
    public async Task Consume(ConsumeContext<TrialPublished> context)
    {
        var message = context.Message;
        Trial trial;
        try
        {
            trial = TrialRecordParser.Parse(message.ToSourceRecord());
        }
        catch (TrialValidationException ex)
        {
            LogRejected(ex.RecordId, ex.Field, ex.Reason);
            await context.Publish(new TrialRejected(message.SourceName ?? "", message.SourceRecordId ?? "", ex.Field, ex.Reason, message.CorrelationId));
            throw; // the message moves to the _error queue with this reason in its fault headers
        }

        var stored = await trials.StoreAsync(trial, message.Record, message.CorrelationId, context.CancellationToken);
        if (stored.IsNewVersion) LogStored(trial.TrialId, stored.Version);
        await context.Publish(new TrialStored(trial.TrialId, trial.Source, trial.SourceRecordId, stored.Version, stored.ContentHash,
            stored.IsNewVersion, trial.HasResults, message.CorrelationId));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected record {RecordId}: field {Field}: {Reason}")]
    private partial void LogRejected(string recordId, string field, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored trial {TrialId} version {Version}")]
    private partial void LogStored(string trialId, int version);
}

/// <summary>Retry transient failures (database, broker); never retry a record that is invalid.</summary>
public sealed class TrialPublishedConsumerDefinition : ConsumerDefinition<TrialPublishedConsumer>
{
    public const string QueueName = "pair-miner-trial-published";

    public TrialPublishedConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrialPublishedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseTransientRetry(retry => retry.Ignore<TrialValidationException>());
    }
}
