using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Model;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>A validation answer's reward (null: not scorable here) and whether its direction is right.</summary>
public sealed record ValidationAnswer(double? Reward, bool? Correct);

/// <summary>
/// Scores the learner's greedy answers on validation prompts (val_reward, val_acc) with the shared step format:
/// unparseable −1, wrong direction 0, right direction 1, plus 0.5 when the significance is known and right. Only
/// prompts with a known gold direction are scorable here; option questions are left out (null).
/// </summary>
public static class ValidationScoring
{
    public static ValidationAnswer Score(VerifiablePromptRecord prompt, string completion)
    {
        if (prompt.Gold.Direction is not { } gold) return new ValidationAnswer(null, null);
        var answer = StepAnswer.Parse(completion);
        if (!answer.IsParseable) return new ValidationAnswer(-1, false);
        var correct = StepFormat.Word(answer.Direction) == gold;
        var reward = correct ? 1.0 : 0.0;
        if (correct && prompt.Gold.Significant is { } significant && answer.Significant == significant) reward += 0.5;
        return new ValidationAnswer(reward, correct);
    }

    public static IReadOnlyList<ChatMessage> Messages(VerifiablePromptRecord prompt) =>
        string.IsNullOrEmpty(prompt.System)
            ? [new ChatMessage("user", prompt.Prompt)]
            : [new ChatMessage("system", prompt.System), new ChatMessage("user", prompt.Prompt)];
}
