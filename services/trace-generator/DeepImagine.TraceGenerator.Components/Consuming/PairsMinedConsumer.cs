using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Examples;
using MassTransit;

namespace DeepImagine.TraceGenerator.Consuming;

/// <summary>
/// Builds the step examples of a mined trial and announces the dataset when it grew. A redelivered (or repeated)
/// PairsMined finds its examples stored, adds nothing and announces nothing.
/// </summary>
public sealed class PairsMinedConsumer(ExampleGeneration generation) : IConsumer<PairsMined>
{
    public async Task Consume(ConsumeContext<PairsMined> context)
    {
        var message = context.Message;
        if (message.Counts.Sum(c => c.Count) == 0) return; // nothing mined: no pair to fetch
        var outcome = await generation.GenerateAsync(message.TrialId, context.CancellationToken);
        if (outcome.Added == 0) return;
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
