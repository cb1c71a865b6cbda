using DeepImagine.Model.Grpo;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

/// <summary>The pieces of the GRPO loss against values worked out by hand.</summary>
public class Computing_grpo_losses
{
    private static readonly GrpoOptions Defaults = new();

    private static Tensor Row(params double[] values) => tensor(values.Select(v => (float)v).ToArray()).unsqueeze(0);

    [Fact]
    public void Advantages_are_relative_to_the_group_and_divided_by_its_sample_std()
    {
        var result = GroupAdvantages.Compute([[1.0, 0.0, 0.0, 1.0]], RewardScaling.Group, epsilon: 0);
        // mean 0.5, unbiased std sqrt(4 · 0.25 / 3) = 0.57735
        Assert.Equal([0.866025, -0.866025, -0.866025, 0.866025], result.Advantages[0].Select(a => Math.Round(a, 6)));
        Assert.False(result.ZeroStd[0]);
    }

    [Fact]
    public void Batch_scaling_divides_by_the_std_of_every_reward_and_none_only_centres()
    {
        IReadOnlyList<IReadOnlyList<double?>> groups = [[1.0, 0.0], [2.0, 2.0]];
        var batch = GroupAdvantages.Compute(groups, RewardScaling.Batch, epsilon: 0);
        // rewards 1, 0, 2, 2: mean 1.25, unbiased std sqrt(2.75 / 3) = 0.957427
        Assert.Equal([0.522233, -0.522233], batch.Advantages[0].Select(a => Math.Round(a, 6)));
        Assert.Equal([false, true], batch.ZeroStd);
        Assert.Equal([0.0, 0.0], batch.Advantages[1]);
        var none = GroupAdvantages.Compute(groups, RewardScaling.None, epsilon: 0);
        Assert.Equal([0.5, -0.5], none.Advantages[0]);
    }

    [Fact]
    public void Unknown_rewards_get_no_advantage_and_do_not_move_the_mean()
    {
        var result = GroupAdvantages.Compute([[1.0, null, 0.0]], RewardScaling.Group, epsilon: 0);
        Assert.Equal([0.707107, 0.0, -0.707107], result.Advantages[0].Select(a => Math.Round(a, 6)));
        var single = GroupAdvantages.Compute([[1.0, null, null]], RewardScaling.Group, epsilon: 0);
        Assert.True(single.ZeroStd[0]);
    }

    [Fact]
    public void The_surrogate_clips_a_rising_ratio_at_one_plus_epsilon_high_for_a_positive_advantage()
    {
        using var scope = NewDisposeScope();
        // ratios 0.5 / 0.4 = 1.25 (inside) and 0.5 / 0.25 = 2 (clipped to 1.28): per-token −1.25 and −1.28
        var logProbs = Row(Math.Log(0.5), Math.Log(0.5));
        var old = Row(Math.Log(0.4), Math.Log(0.25));
        var mask = Row(1, 1);
        var terms = GrpoLoss.Compute(logProbs, old, null, mask, tensor(new[] { 1f }), Defaults, LossNormalizer.Of(mask));
        Assert.Equal(-1.265, terms.Loss.item<float>(), 4);
        Assert.Equal(1, terms.ClippedHigh);
        Assert.Equal(0, terms.ClippedLow);

        // A negative advantage is never clipped on the way up: min(−2, −1.28) = −2, so the loss keeps pushing it down.
        var negative = GrpoLoss.Compute(logProbs, old, null, mask, tensor(new[] { -1f }), Defaults, LossNormalizer.Of(mask));
        Assert.Equal((1.25 + 2.0) / 2, negative.Loss.item<float>(), 4);
        Assert.Equal(0, negative.ClippedHigh);
    }

    [Fact]
    public void The_surrogate_clips_a_falling_ratio_at_one_minus_epsilon_low_for_a_negative_advantage()
    {
        using var scope = NewDisposeScope();
        // ratio 0.25 / 0.5 = 0.5: with A = −1, min(−0.5, −0.8) = −0.8, so the per-token loss is 0.8 and the token counts as clipped low
        var logProbs = Row(Math.Log(0.25));
        var old = Row(Math.Log(0.5));
        var mask = Row(1);
        var negative = GrpoLoss.Compute(logProbs, old, null, mask, tensor(new[] { -1f }), Defaults, LossNormalizer.Of(mask));
        Assert.Equal(0.8, negative.Loss.item<float>(), 5);
        Assert.Equal(1, negative.ClippedLow);
        // With A = +1 the unclipped term is the smaller: min(0.5, 0.8) = 0.5, nothing clipped.
        var positive = GrpoLoss.Compute(logProbs, old, null, mask, tensor(new[] { 1f }), Defaults, LossNormalizer.Of(mask));
        Assert.Equal(-0.5, positive.Loss.item<float>(), 5);
        Assert.Equal(0, positive.ClippedLow);
    }

    [Fact]
    public void The_three_aggregations_divide_by_tokens_by_completions_or_by_completions_times_the_length_limit()
    {
        using var scope = NewDisposeScope();
        // Ratio 1 everywhere, so each token's loss is −A: row 1 (A = 1) one token, row 2 (A = −0.5) three tokens.
        var logProbs = tensor(new float[,] { { -1, 0, 0 }, { -1, -1, -1 } });
        var mask = tensor(new float[,] { { 1, 0, 0 }, { 1, 1, 1 } });
        var advantages = tensor(new[] { 1f, -0.5f });
        float Loss(LossAggregation aggregation) =>
            GrpoLoss.Compute(logProbs, logProbs, null, mask, advantages, Defaults with { Loss = aggregation }, LossNormalizer.Of(mask, maxLength: 4)).Loss.item<float>();
        Assert.Equal((-1 + 1.5) / 4, Loss(LossAggregation.Dapo), 5);
        Assert.Equal((-1 + 0.5) / 2, Loss(LossAggregation.Grpo), 5);
        Assert.Equal((-1 + 1.5) / (2 * 4), Loss(LossAggregation.DrGrpo), 5);
    }

    [Fact]
    public void The_kl_term_is_the_k3_estimate_weighted_by_beta()
    {
        using var scope = NewDisposeScope();
        // log π_ref − log π = ln 0.5 − ln 0.25 = ln 2: k3 = 2 − ln 2 − 1 = 0.306853; A = 0 leaves only β · k3
        var logProbs = Row(Math.Log(0.25));
        var reference = Row(Math.Log(0.5));
        var mask = Row(1);
        var terms = GrpoLoss.Compute(logProbs, logProbs, reference, mask, tensor(new[] { 0f }), Defaults with { Beta = 0.1 }, LossNormalizer.Of(mask));
        Assert.Equal(0.0306853, terms.Loss.item<float>(), 6);
        Assert.Equal(0.306853, terms.KlSum, 5);
        Assert.Throws<ArgumentException>(() => GrpoLoss.Compute(logProbs, logProbs, null, mask, tensor(new[] { 0f }), Defaults with { Beta = 0.1 }, LossNormalizer.Of(mask)));
    }

    [Fact]
    public void The_sequence_gap_is_the_mean_absolute_log_prob_difference_over_real_tokens()
    {
        using var scope = NewDisposeScope();
        var gap = GrpoLoss.SequenceGap(Row(Math.Log(0.5), Math.Log(0.5), 0), Row(Math.Log(0.25), Math.Log(0.5), -9), Row(1, 1, 0));
        Assert.Equal(Math.Log(2) / 2, gap.item<float>(), 5);
    }
}
