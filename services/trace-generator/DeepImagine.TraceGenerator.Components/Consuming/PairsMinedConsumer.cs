using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Examples;
using MassTransit;

namespace DeepImagine.TraceGenerator.Consuming;

/// <summary>
/// Builds the step examples of the pairs a mining added (<see cref="PairsMined.NewPairIds"/>, fetched from pair-miner) and
/// the verifiable prompts of those pairs and of the trial's own reported analyses, and announces the dataset when its
/// examples grew. A mining that added no pair (a redelivered trial) fetches no pair, only the trial; a repeated
/// PairsMined finds its examples and prompts stored and adds nothing, and announces nothing unless it is a retry or
/// redelivery (the announcement may be lost).
/// </summary>
public sealed class PairsMinedConsumer(ExampleGeneration generation) : IConsumer<PairsMined>
{
    public async Task Consume(ConsumeContext<PairsMined> context)
    {
        var message = context.Message;
        var outcome = await generation.GenerateAsync(message.TrialId, message.NewPairIds, context.CancellationToken);
        // A retry or a broker redelivery may follow a failure between storing the examples and announcing them: announce
        // then too. A new copy of the message that adds nothing announces nothing.
        var mayBeUnannounced = context.GetRetryAttempt() > 0 || context.ReceiveContext.Redelivered;
        if (outcome.Added == 0 && !(mayBeUnannounced && outcome.Steps > 0)) return;
        await context.Publish(new SftExamplesReady(outcome.DatasetId, outcome.DatasetName, StepFormat.TemplateVersion, outcome.Counts, message.CorrelationId));
    }
}

public sealed class PairsMinedConsumerDefinition : ConsumerDefinition<PairsMinedConsumer>
{
    public const string QueueName = "trace-generator-pairs-mined";

    public PairsMinedConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<PairsMinedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // pair-miner or the database briefly away: retry; still failing, the message goes to the _error queue.
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(200, 1000, 5000, 15000));
    }
}
