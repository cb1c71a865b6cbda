using DeepImagine.TraceGenerator.Examples;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;

namespace DeepImagine.TraceGenerator.Tests;

public class Splitting_by_trial
{
    [Fact]
    public void A_trial_always_falls_in_the_same_split()
    {
        var ids = SourceFiles.Read([RepoData.V2Studies]).Select(r => r.RecordId).ToList();

        Assert.Equal(ids.Select(TrialSplit.Of), ids.Select(TrialSplit.Of));
        Assert.Equal(TrialSplit.Of("NCT01037244"), TrialSplit.Of(" NCT01037244 "));
    }

    [Fact]
    public void The_bundled_trials_split_about_eighty_ten_ten()
    {
        var ids = SourceFiles.Read([RepoData.V2Studies]).Select(r => r.RecordId).Distinct().ToList();
        var shares = ids.GroupBy(TrialSplit.Of).ToDictionary(g => g.Key, g => (double)g.Count() / ids.Count);

        Assert.True(ids.Count >= 100, $"only {ids.Count} bundled trials");
        Assert.InRange(shares[TrialSplit.Train], 0.70, 0.90);
        Assert.InRange(shares[TrialSplit.Validation], 0.04, 0.16);
        Assert.InRange(shares[TrialSplit.Test], 0.04, 0.16);
    }

    [Fact]
    public void A_pair_across_splits_goes_to_the_most_held_out_one_so_no_held_out_trial_reaches_training()
    {
        var ids = SourceFiles.Read([RepoData.V2Studies]).Select(r => r.RecordId).Distinct().ToList();
        var train = ids.First(i => TrialSplit.Of(i) == TrialSplit.Train);
        var validation = ids.First(i => TrialSplit.Of(i) == TrialSplit.Validation);
        var test = ids.First(i => TrialSplit.Of(i) == TrialSplit.Test);

        Assert.Equal(TrialSplit.Train, TrialSplit.OfExample([train, train]));
        Assert.Equal(TrialSplit.Validation, TrialSplit.OfExample([train, validation]));
        Assert.Equal(TrialSplit.Test, TrialSplit.OfExample([validation, test]));
        Assert.Equal(TrialSplit.Test, TrialSplit.OfExample([test, train]));
    }
}
