namespace DeepImagine.Model.Grpo;

/// <summary>Advantages per group (one per completion, 0 where the reward is unknown) and which groups had all rewards equal.</summary>
public sealed record AdvantageResult(IReadOnlyList<double[]> Advantages, IReadOnlyList<bool> ZeroStd);

/// <summary>
/// Group-relative advantages: A = (r − mean of the group) / (std + ε), the std being the group's (<c>group</c>), the
/// batch's (<c>batch</c>) or none at all (<c>none</c>). Stds are the unbiased sample std, as TRL computes them. An
/// unknown reward (null: the gold answer is unknown) is left out of mean and std and gets advantage 0. A group whose
/// known rewards are all equal (or fewer than two) teaches nothing: it is flagged, and its advantages are 0.
/// </summary>
public static class GroupAdvantages
{
    public static AdvantageResult Compute(IReadOnlyList<IReadOnlyList<double?>> groups, RewardScaling scaling, double epsilon)
    {
        var batchStd = SampleStd(groups.SelectMany(g => g).OfType<double>().ToList());
        var advantages = new List<double[]>(groups.Count);
        var zeroStd = new List<bool>(groups.Count);
        foreach (var rewards in groups)
        {
            var known = rewards.OfType<double>().ToList();
            var flat = known.Count < 2 || known.All(r => r == known[0]);
            zeroStd.Add(flat);
            if (flat)
            {
                advantages.Add(new double[rewards.Count]);
                continue;
            }
            var mean = known.Average();
            var divisor = scaling switch
            {
                RewardScaling.Group => SampleStd(known) + epsilon,
                RewardScaling.Batch => batchStd + epsilon,
                _ => 1.0,
            };
            advantages.Add(rewards.Select(r => r is { } value ? (value - mean) / divisor : 0.0).ToArray());
        }
        return new AdvantageResult(advantages, zeroStd);
    }

    public static double SampleStd(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
