using DeepImagine.Contracts.V1;
using DeepImagine.Model;
using DeepImagine.Rewards;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>A validation answer's reward (null: the gold is unknown) and whether its direction or option is right (null: not known).</summary>
public sealed record ValidationAnswer(double? Reward, bool? Correct);

/// <summary>
/// Scores the learner's greedy answers on validation prompts (val_reward, val_acc) with the same reward rules as
/// reward-verifier (<see cref="VerifiableReward"/>, default weights): the reward is the sum of the components, the
/// accuracy whether the direction (steps) or the option (questions) is right.
/// </summary>
public static class ValidationScoring
{
    private static readonly RewardSettings Settings = new RewardSettings().Validate();

    public static ValidationAnswer Score(VerifiablePromptRecord prompt, string completion)
    {
        var score = VerifiableReward.Score(prompt, completion, Settings);
        var decisive = score.Components.ContainsKey(RewardComponents.Option) ? RewardComponents.Option : RewardComponents.Direction;
        return new ValidationAnswer(score.Reward, score.Components.TryGetValue(decisive, out var value) ? value > 0 : null);
    }

    public static IReadOnlyList<ChatMessage> Messages(VerifiablePromptRecord prompt) =>
        string.IsNullOrEmpty(prompt.System)
            ? [new ChatMessage("user", prompt.Prompt)]
            : [new ChatMessage("system", prompt.System), new ChatMessage("user", prompt.Prompt)];
}
