namespace DeepImagine.Model.Grpo;

/// <summary>What the group-relative advantage is divided by: the group's reward std, the whole batch's, or nothing (Dr. GRPO).</summary>
public enum RewardScaling
{
    Group,
    Batch,
    None,
}

/// <summary>
/// How per-token losses become one number: <see cref="Dapo"/> averages over every learned token of the batch (long
/// answers weigh per token like short ones), <see cref="Grpo"/> averages each completion then the completions,
/// <see cref="DrGrpo"/> sums and divides by batch × the longest allowed completion (no length bias at all).
/// </summary>
public enum LossAggregation
{
    Dapo,
    Grpo,
    DrGrpo,
}

public static class GrpoNames
{
    public static readonly IReadOnlyList<string> LossTypes = ["dapo", "grpo", "dr_grpo"];
    public static readonly IReadOnlyList<string> RewardScalings = ["group", "batch", "none"];

    public static LossAggregation Loss(string name) => name switch
    {
        "dapo" => LossAggregation.Dapo,
        "grpo" => LossAggregation.Grpo,
        "dr_grpo" => LossAggregation.DrGrpo,
        _ => throw new ArgumentException($"loss_type '{name}' is not one of {string.Join(", ", LossTypes)}", nameof(name)),
    };

    public static RewardScaling Scaling(string name) => name switch
    {
        "group" => RewardScaling.Group,
        "batch" => RewardScaling.Batch,
        "none" => RewardScaling.None,
        _ => throw new ArgumentException($"scale_rewards '{name}' is not one of {string.Join(", ", RewardScalings)}", nameof(name)),
    };
}

public sealed record GrpoOptions
{
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; }
    public int WarmupSteps { get; init; }
    /// <summary>Length of the learning-rate schedule (warm-up then cosine to <see cref="MinLearningRateRatio"/>).</summary>
    public int MaxSteps { get; init; } = 100;
    public double MinLearningRateRatio { get; init; } = 1.0;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>The ratio may fall to 1 − ε_low and rise to 1 + ε_high before the surrogate stops pulling (DAPO's clip-higher).</summary>
    public double EpsilonLow { get; init; } = 0.2;
    public double EpsilonHigh { get; init; } = 0.28;
    /// <summary>Weight of the k3 KL estimate to the reference policy (the base with adapters disabled); 0 skips the reference pass.</summary>
    public double Beta { get; init; }
    public LossAggregation Loss { get; init; } = LossAggregation.Dapo;
    public RewardScaling ScaleRewards { get; init; } = RewardScaling.Group;
    /// <summary>Added to the std before dividing, so a near-constant group does not explode.</summary>
    public double AdvantageEpsilon { get; init; } = 1e-4;
    /// <summary>
    /// A completion whose mean |sampler − learner| token log-prob gap exceeds this is left out of the loss: the sampler's
    /// numbers are too far from the learner's (numeric mismatch or a stale policy) for the importance ratio to be trusted.
    /// </summary>
    public double RatioMaskBound { get; init; } = 1.0;
    /// <summary>Completions cut by the length limit carry no answer to reward fairly: they are left out of the loss.</summary>
    public bool MaskTruncated { get; init; } = true;
    /// <summary>The longest completion the sampler may write (Dr. GRPO's denominator); 0 uses the longest in the batch.</summary>
    public int MaxCompletionLength { get; init; }
    /// <summary>Rows per forward/backward pass; the loss is normalised over the whole step, so this changes memory, not the gradient.</summary>
    public int MicroBatchSize { get; init; } = 16;

    public void Validate()
    {
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive (got {LearningRate})");
        if (!(EpsilonLow is > 0 and < 1)) throw new ArgumentException($"EpsilonLow must be in (0, 1) (got {EpsilonLow})");
        if (!(EpsilonHigh > 0)) throw new ArgumentException($"EpsilonHigh must be positive (got {EpsilonHigh})");
        if (!(Beta >= 0)) throw new ArgumentException($"Beta must not be negative (got {Beta})");
        if (!(RatioMaskBound > 0)) throw new ArgumentException($"RatioMaskBound must be positive (got {RatioMaskBound})");
        if (MicroBatchSize <= 0) throw new ArgumentException($"MicroBatchSize must be positive (got {MicroBatchSize})");
        if (MaxSteps <= 0) throw new ArgumentException($"MaxSteps must be positive (got {MaxSteps})");
    }
}
