using DeepImagine.ServiceDefaults;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using MassTransit;

namespace DeepImagine.PairMiner.Components.Mining;

/// <summary>
/// Mines the pairs of each stored trial version and announces them, with the new pairs' ids. Mining is its own step (and
/// queue) so ingestion never waits for it, and a mining failure retries mining alone. A version is mined once; a
/// redelivery only announces.
/// </summary>
public sealed class TrialStoredConsumer(ITrialStore trials, PairMiningService mining) : IConsumer<TrialStored>
{
    public async Task Consume(ConsumeContext<TrialStored> context)
    {
        var message = context.Message;
        var stored = await trials.GetVersionAsync(message.SourceName, message.SourceRecordId, message.Version, context.CancellationToken)
            ?? throw new InvalidOperationException($"record '{message.SourceRecordId}' version {message.Version} of '{message.SourceName}' is not stored");
        var result = await mining.MineAsync(stored.Trial, stored.Ref, message.IsNewVersion, context.CancellationToken);
        await context.Publish(new PairsMined(message.TrialId, message.SourceName, message.SourceRecordId, message.Version, result.Counts,
            result.NewPairIds.Count, message.CorrelationId, result.NewPairIds));
    }
}

public sealed class TrialStoredConsumerDefinition : ConsumerDefinition<TrialStoredConsumer>
{
    public const string QueueName = "pair-miner-trial-stored";

    public TrialStoredConsumerDefinition()
    {
        EndpointName = QueueName;
        // Ingestion keeps the larger share of the machine; mining catches up behind it.
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrialStoredConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseTransientRetry();
    }
}
