using DeepImagine.Contracts.V1;
using DeepImagine.ServiceDefaults;
using MassTransit;

namespace DeepImagine.RewardVerifier.Verifying;

/// <summary>
/// Verifies each generated group once and announces its rewards once: the group is stored (rewards, components,
/// advantages) before RewardsVerified is published, and marked published after the broker took it. A redelivered group
/// finds its stored rewards; it is announced again only if the earlier announcement was not confirmed (the learner keys
/// groups by id, so the rare copy from a crash between publishing and marking changes nothing there).
/// </summary>
public sealed class RolloutsGeneratedConsumer(GroupVerification verification, Data.RewardRepository repository) : IConsumer<RolloutsGenerated>
{
    public async Task Consume(ConsumeContext<RolloutsGenerated> context)
    {
        var group = await verification.VerifyAsync(context.Message, context.CancellationToken);
        if (group.PublishedAt is not null) return;
        await context.Publish(GroupVerification.ToMessage(group), context.CancellationToken);
        await repository.MarkPublishedAsync(group.GroupId, context.CancellationToken);
    }
}

public sealed class RolloutsGeneratedConsumerDefinition : ConsumerDefinition<RolloutsGeneratedConsumer>
{
    public const string QueueName = "reward-verifier-rollouts-generated";

    public RolloutsGeneratedConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RolloutsGeneratedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // trace-generator or the database briefly away: retry; a group that can never be verified goes straight to the _error queue.
        endpointConfigurator.UseTransientRetry(retry => retry.Ignore<RolloutRejectedException>());
    }
}
