using DeepImagine.Contracts.V1;
using DeepImagine.Predictor.Operators;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.Predictor.Consuming;

/// <summary>
/// A new model version of the base or one of its operators: reload in the background (the message is acknowledged at
/// once; loading takes seconds) and switch when loaded; a failed load keeps the operators in use.
/// </summary>
public sealed class CheckpointPublishedConsumer(OperatorRegistry operators, ILogger<CheckpointPublishedConsumer> logger) : IConsumer<CheckpointPublished>
{
    public Task Consume(ConsumeContext<CheckpointPublished> context)
    {
        var name = context.Message.ModelName;
        if (name != operators.BaseName && !name.StartsWith(operators.BaseName + "-", StringComparison.Ordinal)) return Task.CompletedTask;
        logger.LogInformation("{Model} v{Version} published: reloading the operators", name, context.Message.Version);
        _ = Task.Run(() => operators.ReloadAsync(CancellationToken.None));
        return Task.CompletedTask;
    }
}

public sealed class CheckpointPublishedConsumerDefinition : ConsumerDefinition<CheckpointPublishedConsumer>
{
    public const string QueueName = "predictor-checkpoint-published";

    public CheckpointPublishedConsumerDefinition() => EndpointName = QueueName;
}
