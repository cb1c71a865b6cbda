using DeepImagine.Contracts.V1;
using DeepImagine.ServiceDefaults;
using MassTransit;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>Hands each scored group to its grpo job through the durable inbox (the job polls it).</summary>
public sealed class RewardsVerifiedConsumer(IRewardInbox inbox) : IConsumer<RewardsVerified>
{
    public Task Consume(ConsumeContext<RewardsVerified> context) => inbox.AddAsync(context.Message, context.CancellationToken);
}

/// <summary>Durable queue <c>gpu-learner-rewards-verified</c>; a database hiccup is retried.</summary>
public sealed class RewardsVerifiedConsumerDefinition : ConsumerDefinition<RewardsVerifiedConsumer>
{
    public const string QueueName = "gpu-learner-rewards-verified";

    public RewardsVerifiedConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RewardsVerifiedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseTransientRetry();
    }
}
