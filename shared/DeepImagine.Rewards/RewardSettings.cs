namespace DeepImagine.Rewards;

/// <summary>
/// Weights of the reward components (section <c>Rewards</c> of reward-verifier). The defaults: an unparseable answer
/// costs 1; a right direction or option earns 1, a right significance 0.5, and the magnitude up to 0.5 as
/// <c>exp(−|log r̂ − log r| / MagnitudeScale)</c>, so a step answer lies in [−1, 2] and a question answer in [−1, 1].
/// </summary>
public sealed class RewardSettings
{
    public const string SectionName = "Rewards";

    /// <summary>The format term of an answer that cannot be parsed (negative).</summary>
    public double UnparseablePenalty { get; set; } = -1;

    /// <summary>The format term of an answer that parses (0 by default: a well-formed answer earns nothing by itself).</summary>
    public double ParseableReward { get; set; }

    public double DirectionWeight { get; set; } = 1;
    public double SignificanceWeight { get; set; } = 0.5;
    public double MagnitudeWeight { get; set; } = 0.5;

    /// <summary>s in exp(−|log r̂ − log r| / s): the log-ratio error at which the magnitude credit falls to 1/e of its weight.</summary>
    public double MagnitudeScale { get; set; } = 0.5;

    public double OptionWeight { get; set; } = 1;

    /// <summary>ε in (r − mean) / (std + ε).</summary>
    public double AdvantageEpsilon { get; set; } = 1e-4;

    /// <summary>Refuses settings that would make rewards meaningless, naming the setting.</summary>
    public RewardSettings Validate()
    {
        Finite(nameof(UnparseablePenalty), UnparseablePenalty);
        Finite(nameof(ParseableReward), ParseableReward);
        if (UnparseablePenalty > ParseableReward)
            throw new ArgumentException($"{SectionName}:{nameof(UnparseablePenalty)} {UnparseablePenalty} is above {nameof(ParseableReward)} {ParseableReward}; a malformed answer must not pay better");
        NonNegative(nameof(DirectionWeight), DirectionWeight);
        NonNegative(nameof(SignificanceWeight), SignificanceWeight);
        NonNegative(nameof(MagnitudeWeight), MagnitudeWeight);
        NonNegative(nameof(OptionWeight), OptionWeight);
        if (!(MagnitudeScale > 0) || !double.IsFinite(MagnitudeScale))
            throw new ArgumentException($"{SectionName}:{nameof(MagnitudeScale)} {MagnitudeScale} must be a positive finite number");
        if (!(AdvantageEpsilon > 0) || !double.IsFinite(AdvantageEpsilon))
            throw new ArgumentException($"{SectionName}:{nameof(AdvantageEpsilon)} {AdvantageEpsilon} must be a positive finite number");
        return this;
    }

    private static void Finite(string name, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{SectionName}:{name} {value} must be a finite number");
    }

    private static void NonNegative(string name, double value)
    {
        if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"{SectionName}:{name} {value} must be a finite number ≥ 0");
    }
}
