using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Rewards;

/// <summary>
/// Rewards of completions against a verifiable prompt's gold answer, parsed with the shared formats only
/// (<see cref="StepAnswer.Parse"/> for steps, <see cref="QuestionPrompt.Parse"/> for questions). Pure: the same
/// completion and gold always give the same score.
/// </summary>
public static class VerifiableReward
{
    /// <summary>Scores a completion of <paramref name="prompt"/> by its kind (a step or a question).</summary>
    public static CompletionScore Score(VerifiablePromptRecord prompt, string? completion, RewardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (VerifiablePromptKinds.IsQuestion(prompt.Kind))
        {
            if (prompt.Options is not { Count: >= 2 })
                throw new ArgumentException($"prompt {prompt.PromptId}: options has {prompt.Options?.Count ?? 0} entries; a {prompt.Kind} question needs at least 2");
            return Question(completion, prompt.Options.Count, prompt.Gold, settings);
        }
        if (prompt.Kind == VerifiablePromptKinds.ApproximateStep) return Step(completion, prompt.Gold, settings);
        throw new ArgumentException($"prompt {prompt.PromptId}: kind '{prompt.Kind}' is not one of {string.Join(", ", VerifiablePromptKinds.All)}");
    }

    /// <summary>A step answer (<c>RESULT:</c> line): format + direction + significance + magnitude, each where the gold knows it.</summary>
    public static CompletionScore Step(string? completion, VerifiableAnswer gold, RewardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(settings);
        var answer = StepAnswer.Parse(completion);
        var goldDirection = gold.Direction switch
        {
            "higher" => ResultDirection.Higher,
            "lower" => ResultDirection.Lower,
            "same" => ResultDirection.Same,
            _ => ResultDirection.Unknown, // null or a word no RESULT line states: nothing to check
        };
        // A gold log ratio that is not a finite number cannot be compared with: it counts as unknown.
        var goldLogRatio = gold.LogRatio is { } g && double.IsFinite(g) ? g : (double?)null;

        var components = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [RewardComponents.Format] = answer.IsParseable ? settings.ParseableReward : settings.UnparseablePenalty,
        };
        if (goldDirection != ResultDirection.Unknown)
            components[RewardComponents.Direction] = answer.IsParseable && answer.Direction == goldDirection ? settings.DirectionWeight : 0;
        if (gold.Significant is { } significant)
            components[RewardComponents.Significance] = answer.IsParseable && answer.Significant == significant ? settings.SignificanceWeight : 0;
        if (goldLogRatio is { } r)
            components[RewardComponents.Magnitude] = answer.IsParseable && answer.LogRatio is { } guess ? settings.MagnitudeWeight * MagnitudeCredit(guess, r, settings.MagnitudeScale) : 0;

        var known = components.Count > 1;
        return new CompletionScore(known ? components.Values.Sum() : null, answer.IsParseable, components, answer.Error);
    }

    /// <summary>A question answer (<c>ANSWER: n</c>): format + the right option, where the gold knows it.</summary>
    public static CompletionScore Question(string? completion, int optionCount, VerifiableAnswer gold, RewardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(settings);
        var answer = QuestionPrompt.Parse(completion, optionCount);
        var components = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [RewardComponents.Format] = answer.IsParseable ? settings.ParseableReward : settings.UnparseablePenalty,
        };
        if (gold.OptionIndex is not { } right || right < 0 || right >= optionCount)
            return new CompletionScore(null, answer.IsParseable, components, answer.Error);
        components[RewardComponents.Option] = answer.OptionIndex == right ? settings.OptionWeight : 0;
        return new CompletionScore(components.Values.Sum(), answer.IsParseable, components, answer.Error);
    }

    /// <summary>
    /// exp(−|guess − gold| / scale), in [0, 1]: 1 for the exact log ratio, 1/e at one scale off. Differences too large
    /// for a double (1e308 against −1e308) are infinite and earn 0, never NaN.
    /// </summary>
    public static double MagnitudeCredit(double guess, double gold, double scale)
    {
        var error = Math.Abs(guess - gold);
        if (double.IsNaN(error)) return 0;
        return Math.Exp(-error / scale);
    }
}
