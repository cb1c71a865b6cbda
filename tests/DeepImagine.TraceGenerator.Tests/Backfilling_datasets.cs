using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.TraceGenerator.Tests;

/// <summary>A new dataset (a new template version) filled from the trials pair-miner stored before it existed.</summary>
[Collection(HarnessDatabaseCollection.Name)]
public class Backfilling_datasets(HarnessDatabase database)
{
    private static string NewDatasetName() => "backfill-" + Guid.NewGuid().ToString("N")[..8];

    private static FakePairMiner TwoTrials() => new FakePairMiner().WithTrial("NCT01037244", 1).WithTrial("NCT00931528", 2);

    private static int ExpectedSteps(FakePairMiner pairMiner) =>
        pairMiner.Pairs.Select(p => PairSteps.FromPair(p, pairMiner.Trials.GetValueOrDefault(p.A.TrialId), pairMiner.Trials.GetValueOrDefault(p.B.TrialId)).Count).Sum();

    [Fact]
    public async Task A_new_dataset_gets_the_steps_of_every_stored_trial_and_a_second_run_does_nothing()
    {
        var pairMiner = TwoTrials();
        await using var provider = database.Services(pairMiner, NewDatasetName());
        await using var scope = provider.CreateAsyncScope();
        var backfill = scope.ServiceProvider.GetRequiredService<DatasetBackfill>();

        var first = await backfill.RunAsync(CancellationToken.None, trialsPerPage: 1);

        Assert.True(ExpectedSteps(pairMiner) > 0);
        Assert.Equal(2, first.Trials);
        Assert.True(first.Completed);
        Assert.Equal(ExpectedSteps(pairMiner), first.Added);
        var counts = await scope.ServiceProvider.GetRequiredService<DatasetRepository>().CountsAsync(first.DatasetId, CancellationToken.None);
        Assert.Equal(ExpectedSteps(pairMiner), counts.Sum(c => c.Examples));

        var listCalls = pairMiner.TrialListCalls;
        var second = await backfill.RunAsync(CancellationToken.None);
        Assert.Equal((0, 0, true), (second.Trials, second.Added, second.Completed));
        Assert.Equal(listCalls, pairMiner.TrialListCalls);
    }

    [Fact]
    public async Task A_backfill_that_failed_midway_resumes_after_the_last_finished_page_and_loses_nothing()
    {
        var pairMiner = TwoTrials();
        pairMiner.FailPairListsOf.Add("NCT01037244"); // the second trial in ordinal order
        await using var provider = database.Services(pairMiner, NewDatasetName());
        await using var scope = provider.CreateAsyncScope();
        var backfill = scope.ServiceProvider.GetRequiredService<DatasetBackfill>();

        await Assert.ThrowsAsync<HttpRequestException>(() => backfill.RunAsync(CancellationToken.None, trialsPerPage: 1));
        var requestedBeforeResume = pairMiner.RequestedIds.Count;
        var resumed = await backfill.RunAsync(CancellationToken.None, trialsPerPage: 1);

        Assert.Equal(1, resumed.Trials); // only NCT01037244: NCT00931528's page was saved as done
        Assert.True(resumed.Completed);
        Assert.Empty(pairMiner.PairIdsOf("NCT00931528").Except(pairMiner.PairIdsOf("NCT01037244"))
            .Intersect(pairMiner.RequestedIds.Skip(requestedBeforeResume)));
        var counts = await scope.ServiceProvider.GetRequiredService<DatasetRepository>().CountsAsync(resumed.DatasetId, CancellationToken.None);
        Assert.Equal(ExpectedSteps(pairMiner), counts.Sum(c => c.Examples));
    }
}
