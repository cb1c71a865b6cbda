using MathNet.Numerics.Statistics;

namespace DeepImagine.Rewards;

/// <summary>
/// Group-relative advantages (GRPO): A = (r − mean_G) / (std_G + ε) over the group's completions with a reward; a
/// completion whose reward is null (gold unknown) gets 0 and does not count in the mean or std. std is the sample
/// standard deviation (n − 1, as TRL's GRPO); a group with fewer than two rewards, or whose rewards are all equal,
/// has advantage 0 throughout (nothing to prefer).
/// </summary>
public static class GroupAdvantages
{
    public static IReadOnlyList<double> Of(IReadOnlyList<double?> rewards, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        if (!(epsilon > 0) || !double.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a positive finite number");
        for (var i = 0; i < rewards.Count; i++)
        {
            if (rewards[i] is { } r && !double.IsFinite(r))
                throw new ArgumentException($"rewards[{i}] is {r.ToString(System.Globalization.CultureInfo.InvariantCulture)}; a reward is a finite number or null", nameof(rewards));
        }

        var advantages = new double[rewards.Count];
        var known = rewards.Select((r, i) => (Reward: r, Index: i)).Where(x => x.Reward is not null).ToList();
        if (known.Count < 2 || known.All(x => x.Reward == known[0].Reward)) return advantages;
        // Scaled by the largest magnitude so that sums of huge rewards cannot overflow; the advantage is scale-free
        // except for ε, which is scaled along.
        var scale = known.Max(x => Math.Abs(x.Reward!.Value));
        if (scale == 0) return advantages;
        var scaled = known.Select(x => x.Reward!.Value / scale).ToList();
        var (mean, std) = scaled.MeanStandardDeviation();
        if (std == 0) return advantages;
        for (var k = 0; k < known.Count; k++)
            advantages[known[k].Index] = (scaled[k] - mean) / (std + epsilon / scale);
        return advantages;
    }
}
