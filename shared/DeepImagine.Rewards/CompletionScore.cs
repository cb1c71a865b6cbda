namespace DeepImagine.Rewards;

/// <summary>The reward components' names, as stored and published (<c>CompletionReward.Components</c>).</summary>
public static class RewardComponents
{
    /// <summary>Whether the answer line parses: <see cref="RewardSettings.ParseableReward"/> or <see cref="RewardSettings.UnparseablePenalty"/>.</summary>
    public const string Format = "format";
    public const string Direction = "direction";
    public const string Significance = "significance";
    /// <summary>Partial credit for the log ratio, exp(−|log r̂ − log r| / s) times its weight.</summary>
    public const string Magnitude = "magnitude";
    public const string Option = "option";
}

/// <summary>
/// One completion's score. <see cref="Reward"/> is the sum of <see cref="Components"/>, or null when the gold answer is
/// entirely unknown (nothing to check: the completion gets advantage 0). A component is present when its part of the
/// gold is known (and <c>format</c> always); it is 0 when the answer is wrong or unparseable.
/// </summary>
public sealed record CompletionScore(double? Reward, bool Parseable, IReadOnlyDictionary<string, double> Components, string? ParseError);
