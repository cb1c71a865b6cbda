using DeepImagine.Contracts.V1;
using DeepImagine.RewardVerifier.Data;
using DeepImagine.RewardVerifier.Prompts;
using DeepImagine.Rewards;
using Microsoft.Extensions.Logging;

namespace DeepImagine.RewardVerifier.Verifying;

/// <summary>
/// Scores one generated group against its prompt's gold answer (<see cref="GroupRewards"/>) and stores it. A group is
/// scored and stored once: a redelivered or repeated group gets the stored result back, unchanged.
/// </summary>
public sealed class GroupVerification(IPromptSource prompts, RewardRepository repository, RewardSettings settings, ILogger<GroupVerification> logger)
{
    public async Task<VerifiedGroupView> VerifyAsync(RolloutsGenerated message, CancellationToken cancellationToken)
    {
        Validate(message);
        if (await repository.GetAsync(message.GroupId, cancellationToken) is { } stored) return stored;

        var prompt = await prompts.GetAsync(message.PromptId, cancellationToken)
            ?? throw new RolloutRejectedException($"group {message.GroupId}: prompt {message.PromptId} is unknown to trace-generator");
        var completions = message.Completions.OrderBy(c => c.Index).ToList();
        IReadOnlyList<ScoredCompletion> scored;
        try
        {
            scored = GroupRewards.Of(prompt, completions.Select(c => (string?)c.Text).ToList(), settings);
        }
        catch (ArgumentException e)
        {
            // A prompt record that cannot be scored (kind unknown to this verifier, options missing) never will be.
            throw new RolloutRejectedException($"group {message.GroupId}: {e.Message}");
        }
        var view = new VerifiedGroupView(message.GroupId, message.JobId, message.BatchId, message.PromptId, prompt.Kind, message.ModelName,
            message.PolicyVersion, message.Worker,
            completions.Zip(scored, (c, s) => new VerifiedCompletionView(c.Index, c.Text, c.TokenCount, c.FinishReason, s.Score.Reward, s.Advantage,
                s.Score.Parseable, s.Score.ParseError, s.Score.Components)).ToList(),
            DateTimeOffset.UtcNow, PublishedAt: null);
        if (!await repository.AddAsync(view, cancellationToken))
            logger.LogInformation("group {GroupId} was stored by another delivery meanwhile; its stored rewards stand", message.GroupId);
        return await repository.GetAsync(message.GroupId, cancellationToken)
            ?? throw new InvalidOperationException($"group {message.GroupId} is not stored after storing it");
    }

    /// <summary>What RewardsVerified says of a stored group.</summary>
    public static RewardsVerified ToMessage(VerifiedGroupView group) => new(group.JobId, group.BatchId, group.GroupId, group.PromptId, group.ModelName,
        group.PolicyVersion, group.Completions.Select(c => new CompletionReward(c.Index, c.Reward, c.Advantage, c.Parseable, c.Components)).ToList(),
        group.VerifiedAt);

    /// <summary>Refuses a message that can never be verified, naming the group and the field.</summary>
    public static void Validate(RolloutsGenerated message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var group = $"group {message.GroupId}";
        if (message.GroupId == Guid.Empty) throw new RolloutRejectedException("RolloutsGenerated: groupId is empty");
        if (message.PromptId == Guid.Empty) throw new RolloutRejectedException($"{group}: promptId is empty");
        if (string.IsNullOrWhiteSpace(message.ModelName)) throw new RolloutRejectedException($"{group}: modelName is empty");
        if (message.Completions is not { Count: > 0 }) throw new RolloutRejectedException($"{group}: completions is empty");
        var seen = new HashSet<int>();
        for (var i = 0; i < message.Completions.Count; i++)
        {
            var c = message.Completions[i];
            if (c is null) throw new RolloutRejectedException($"{group}: completions[{i}] is missing");
            if (c.Index < 0) throw new RolloutRejectedException($"{group}: completions[{i}].index is {c.Index}; indexes start at 0");
            if (!seen.Add(c.Index)) throw new RolloutRejectedException($"{group}: completions[{i}].index {c.Index} appears twice");
            if (c.Text is null) throw new RolloutRejectedException($"{group}: completions[{i}].text is missing");
            if (string.IsNullOrWhiteSpace(c.FinishReason)) throw new RolloutRejectedException($"{group}: completions[{i}].finishReason is empty");
        }
    }
}
