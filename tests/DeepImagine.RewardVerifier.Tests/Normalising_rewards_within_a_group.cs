using DeepImagine.Rewards;

namespace DeepImagine.RewardVerifier.Tests;

public class Normalising_rewards_within_a_group
{
    [Fact]
    public void Advantages_are_rewards_minus_the_group_mean_over_the_sample_std()
    {
        // [1, 0, 0, −1]: mean 0, sample std sqrt(2/3) = 0.8164965809.
        var advantages = GroupAdvantages.Of([1, 0, 0, -1], 1e-4);

        var std = Math.Sqrt(2.0 / 3.0);
        double[] expected = [1 / (std + 1e-4), 0, 0, -1 / (std + 1e-4)];
        Assert.All(expected.Zip(advantages), x => Assert.Equal(x.First, x.Second, 12));
        Assert.Equal(0, advantages.Sum(), 12);
    }

    [Fact]
    public void Two_rewards_of_a_group_split_into_plus_and_minus_one_over_root_two()
    {
        // [2, 0]: mean 1, sample std sqrt(2): ±1/sqrt(2) (ε aside).
        var advantages = GroupAdvantages.Of([2, 0], 1e-12);

        Assert.Equal(1 / Math.Sqrt(2), advantages[0], 9);
        Assert.Equal(-1 / Math.Sqrt(2), advantages[1], 9);
    }

    [Fact]
    public void A_completion_without_a_reward_gets_advantage_zero_and_does_not_count()
    {
        var withUnknown = GroupAdvantages.Of([1, null, 0, -1, null], 1e-4);
        var without = GroupAdvantages.Of([1, 0, -1], 1e-4);

        Assert.Equal(0, withUnknown[1]);
        Assert.Equal(0, withUnknown[4]);
        Assert.Equal(without, [withUnknown[0], withUnknown[2], withUnknown[3]]);
    }

    [Theory]
    [InlineData(new double[] { 0.3, 0.3, 0.3, 0.3 })]
    [InlineData(new double[] { -1, -1 })]
    [InlineData(new double[] { 0, 0, 0 })]
    [InlineData(new double[] { 1.5 })]
    [InlineData(new double[] { })]
    public void An_all_equal_or_single_group_has_no_preference(double[] rewards)
    {
        Assert.All(GroupAdvantages.Of(rewards.Select(r => (double?)r).ToList(), 1e-4), a => Assert.Equal(0, a));
    }

    [Fact]
    public void A_group_of_only_unknown_rewards_has_no_preference()
    {
        Assert.Equal([0, 0, 0], GroupAdvantages.Of([null, null, null], 1e-4));
    }

    [Fact]
    public void Huge_rewards_do_not_overflow_and_match_the_small_ones()
    {
        var huge = GroupAdvantages.Of([1e308, -1e308, 0], 1e-4);
        var small = GroupAdvantages.Of([1, -1, 0], 1e-4 / 1e308);

        Assert.All(huge, a => Assert.True(double.IsFinite(a)));
        Assert.Equal(small, huge);
        Assert.Equal(1, huge[0], 9);
    }

    [Fact]
    public void A_reward_that_is_not_a_finite_number_is_refused_naming_it()
    {
        Assert.Contains("rewards[1] is NaN", Assert.Throws<ArgumentException>(() => GroupAdvantages.Of([0, double.NaN], 1e-4)).Message, StringComparison.Ordinal);
        Assert.Contains("rewards[0] is Infinity", Assert.Throws<ArgumentException>(() => GroupAdvantages.Of([double.PositiveInfinity, 0], 1e-4)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupAdvantages.Of([0, 1], 0));
    }
}
