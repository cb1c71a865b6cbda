using DeepImagine.Contracts.V1;

namespace DeepImagine.Rewards;

/// <summary>One completion of a group: its score and its group-relative advantage.</summary>
public sealed record ScoredCompletion(CompletionScore Score, double Advantage);

/// <summary>The rewards of a group of completions of one prompt, with their group-relative advantages.</summary>
public static class GroupRewards
{
    public static IReadOnlyList<ScoredCompletion> Of(VerifiablePromptRecord prompt, IReadOnlyList<string?> completions, RewardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(completions);
        ArgumentNullException.ThrowIfNull(settings);
        var scores = completions.Select(c => VerifiableReward.Score(prompt, c, settings)).ToList();
        var advantages = GroupAdvantages.Of(scores.Select(s => s.Reward).ToList(), settings.AdvantageEpsilon);
        return scores.Select((s, i) => new ScoredCompletion(s, advantages[i])).ToList();
    }
}
