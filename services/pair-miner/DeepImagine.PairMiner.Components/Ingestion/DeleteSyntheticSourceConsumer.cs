using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using MassTransit;

namespace DeepImagine.PairMiner.Components.Ingestion;

/// <summary>Removes a benchmark's synthetic trials (never a real source's) and answers how many versions went.</summary>
public sealed class DeleteSyntheticSourceConsumer(ITrialStore trials) : IConsumer<DeleteSyntheticSource>
{
    public async Task Consume(ConsumeContext<DeleteSyntheticSource> context)
    {
        var source = context.Message.Source;
        if (string.IsNullOrEmpty(source) || !source.StartsWith(DeleteSyntheticSource.Prefix, StringComparison.Ordinal) || source.Length == DeleteSyntheticSource.Prefix.Length)
            throw new ArgumentException($"field 'source' is '{source}': only synthetic sources named '{DeleteSyntheticSource.Prefix}…' can be deleted");
        var deleted = await trials.DeleteSourceAsync(source, context.CancellationToken);
        await context.RespondAsync(new SyntheticSourceDeleted(source, deleted));
    }
}

public sealed class DeleteSyntheticSourceConsumerDefinition : ConsumerDefinition<DeleteSyntheticSourceConsumer>
{
    public const string QueueName = "pair-miner-delete-synthetic-source";

    public DeleteSyntheticSourceConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 1;
    }
}
