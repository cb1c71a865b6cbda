using static TorchSharp.torch;

namespace DeepImagine.Model.Grpo;

/// <summary>
/// The size of the whole step a micro-batch belongs to, which is what each aggregation divides by: learned tokens
/// (dapo), completions (grpo, dr_grpo) and the longest allowed completion (dr_grpo).
/// </summary>
public sealed record LossNormalizer(double Tokens, int Sequences, int MaxLength)
{
    /// <summary>The normaliser of a batch that is the whole step (mask [batch, width]).</summary>
    public static LossNormalizer Of(Tensor mask, int maxLength = 0) =>
        new(mask.to(ScalarType.Float32).sum().item<float>(), (int)mask.shape[0], maxLength > 0 ? maxLength : (int)mask.shape[1]);
}

/// <summary>
/// One micro-batch's share of the step loss, and sums for the statistics: tokens clipped below (ratio under 1 − ε_low
/// with a negative advantage) and above (over 1 + ε_high, positive advantage), KL summed over learned tokens, and the
/// learned tokens counted.
/// </summary>
public sealed record GrpoLossTerms(Tensor Loss, double ClippedLow, double ClippedHigh, double KlSum, double Tokens);

/// <summary>
/// The clipped surrogate of GRPO/DAPO with an optional k3 KL term. Per token: ratio = exp(log π − log π_old),
/// loss = −min(ratio · A, clip(ratio, 1 − ε_low, 1 + ε_high) · A) + β · (exp(log π_ref − log π) − (log π_ref − log π) − 1),
/// aggregated as <see cref="LossAggregation"/> says over the step's <see cref="LossNormalizer"/>.
/// </summary>
public static class GrpoLoss
{
    /// <param name="logProbs">learner log-probs [batch, width] (gradients flow through these)</param>
    /// <param name="oldLogProbs">the sampler's log-probs [batch, width]</param>
    /// <param name="refLogProbs">the reference policy's log-probs, needed when β &gt; 0</param>
    /// <param name="mask">1 for tokens that are learned [batch, width] (padding, truncated and masked completions 0)</param>
    /// <param name="advantages">one per completion [batch]</param>
    public static GrpoLossTerms Compute(Tensor logProbs, Tensor oldLogProbs, Tensor? refLogProbs, Tensor mask, Tensor advantages,
        GrpoOptions options, LossNormalizer normalizer)
    {
        if (options.Beta > 0 && refLogProbs is null) throw new ArgumentException("β > 0 needs the reference log-probs", nameof(refLogProbs));
        using var scope = NewDisposeScope();
        var keep = mask.to(ScalarType.Float32);
        var advantage = advantages.to(ScalarType.Float32).unsqueeze(1);
        var ratio = (logProbs - oldLogProbs).exp();
        var unclipped = ratio * advantage;
        var clipped = ratio.clamp(1 - options.EpsilonLow, 1 + options.EpsilonHigh) * advantage;
        var perToken = -minimum(unclipped, clipped);
        double klSum = 0;
        if (options.Beta > 0)
        {
            var difference = refLogProbs! - logProbs;
            var kl = difference.exp() - difference - 1;
            perToken = perToken + options.Beta * kl;
            klSum = (kl.detach() * keep).sum().item<float>();
        }
        var masked = perToken * keep;
        var loss = options.Loss switch
        {
            LossAggregation.Dapo => masked.sum() / Math.Max(normalizer.Tokens, 1),
            LossAggregation.Grpo => (masked.sum(1) / keep.sum(1).clamp_min(1)).sum() / Math.Max(normalizer.Sequences, 1),
            _ => masked.sum() / Math.Max((double)normalizer.Sequences * normalizer.MaxLength, 1),
        };
        using var noGrad = no_grad();
        var r = ratio.detach();
        var low = ((r < 1 - options.EpsilonLow) & (advantage < 0)).to(ScalarType.Float32) * keep;
        var high = ((r > 1 + options.EpsilonHigh) & (advantage > 0)).to(ScalarType.Float32) * keep;
        return new GrpoLossTerms(loss.MoveToOuterDisposeScope(), low.sum().item<float>(), high.sum().item<float>(), klSum, keep.sum().item<float>());
    }

    /// <summary>
    /// Each completion's mean |sampler − learner| log-prob gap over its real tokens [batch], the sequence-level measure
    /// the importance-ratio mask compares with its bound.
    /// </summary>
    public static Tensor SequenceGap(Tensor logProbs, Tensor oldLogProbs, Tensor realTokens)
    {
        using var scope = NewDisposeScope();
        var real = realTokens.to(ScalarType.Float32);
        var gap = ((logProbs.detach() - oldLogProbs).abs() * real).sum(1) / real.sum(1).clamp_min(1);
        return gap.MoveToOuterDisposeScope();
    }
}
