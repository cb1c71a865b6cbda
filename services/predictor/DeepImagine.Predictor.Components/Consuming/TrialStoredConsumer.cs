using DeepImagine.Contracts.V1;
using DeepImagine.Predictor.Data;
using DeepImagine.Predictor.Engine;
using DeepImagine.ServiceDefaults;
using MassTransit;

namespace DeepImagine.Predictor.Consuming;

/// <summary>
/// Keeps the predictor's knowledge up to date: a stored trial with results is fetched from pair-miner's read API and its
/// known-answer endpoints (with the trial's registry data) are upserted. Idempotent: the same trial again replaces the same rows.
/// </summary>
public sealed class TrialStoredConsumer(PairMinerTrials pairMiner, KnowledgeRepository knowledge) : IConsumer<TrialStored>
{
    public async Task Consume(ConsumeContext<TrialStored> context)
    {
        var message = context.Message;
        if (!message.HasResults) return;
        var trial = await pairMiner.GetTrialAsync(message.TrialId, context.CancellationToken);
        if (trial is null) return; // pair-miner no longer has it: nothing to learn
        await knowledge.UpsertAsync(TrialKnowledge.Of(trial), KnowledgeRepository.TrialSource, context.CancellationToken);
    }
}

public sealed class TrialStoredConsumerDefinition : ConsumerDefinition<TrialStoredConsumer>
{
    public const string QueueName = "predictor-trial-stored";

    public TrialStoredConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrialStoredConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseTransientRetry();
}
