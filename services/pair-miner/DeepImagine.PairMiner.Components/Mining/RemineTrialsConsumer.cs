using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.PairMiner.Components.Mining;

/// <summary>
/// The <see cref="RemineTrials"/> command (from `deepimagine pairs remine`): pair-miner forgets its pairs, answers how many
/// trials it will mine again, and announces each latest version as <see cref="TrialStored"/> (not new) with the command's
/// correlation id, so its own mining queue re-mines them and every caller can count the <see cref="PairsMined"/>.
/// </summary>
public sealed partial class RemineTrialsConsumer(IPairStore pairs, ILogger<RemineTrialsConsumer> logger) : IConsumer<RemineTrials>
{
    public async Task Consume(ConsumeContext<RemineTrials> context)
    {
        var correlationId = context.Message.CorrelationId;
        var latest = await pairs.ResetMiningAsync(context.CancellationToken);
        LogRemining(latest.Count, correlationId);
        await context.RespondAsync(new RemineTrialsAccepted(correlationId, latest.Count));
        await context.PublishBatch(latest.Select(t =>
            new TrialStored(t.TrialId, t.Source, t.SourceRecordId, t.Version, t.ContentHash, false, t.HasResults, correlationId)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pairs dropped; mining {Trials} trials again (correlation {CorrelationId})")]
    private partial void LogRemining(int trials, Guid correlationId);
}

public sealed class RemineTrialsConsumerDefinition : ConsumerDefinition<RemineTrialsConsumer>
{
    public const string QueueName = "pair-miner-remine-trials";

    public RemineTrialsConsumerDefinition()
    {
        EndpointName = QueueName;
        // Two resets at once would interleave; one at a time.
        ConcurrentMessageLimit = 1;
    }
}
