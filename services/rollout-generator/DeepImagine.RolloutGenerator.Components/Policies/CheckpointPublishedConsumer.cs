using DeepImagine.Contracts.V1;
using MassTransit;

namespace DeepImagine.RolloutGenerator.Policies;

/// <summary>
/// A new model version is in the store: if this worker serves that model and the version is newer, it is loaded now
/// (rollouts keep coming from the served version meanwhile, on the other endpoint) and swapped in; a version that
/// fails to load leaves the served one in place (<see cref="PolicyCache.OfferAsync"/>).
/// </summary>
public sealed class CheckpointPublishedConsumer(PolicyCache policies) : IConsumer<CheckpointPublished>
{
    public Task Consume(ConsumeContext<CheckpointPublished> context) =>
        policies.OfferAsync(context.Message.ModelName, context.Message.Version, context.CancellationToken);
}

/// <summary>
/// Every instance must hear every published checkpoint, so each has a temporary queue of its own
/// (<c>rollout-generator-checkpoint-published-&lt;host&gt;-&lt;pid&gt;</c>, deleted when it stops), not a shared one.
/// </summary>
public sealed class CheckpointPublishedConsumerDefinition : ConsumerDefinition<CheckpointPublishedConsumer>
{
    public static readonly string QueueName = $"rollout-generator-checkpoint-published-{InstanceSuffix()}";

    public CheckpointPublishedConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Name = QueueName;
            e.Temporary = true;
            e.ConcurrentMessageLimit = 1;
        });
        ConcurrentMessageLimit = 1;
    }

    /// <summary>Host name and process id, lower-case, in the characters a queue name takes.</summary>
    public static string InstanceSuffix() =>
        new string($"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').ToArray());
}
