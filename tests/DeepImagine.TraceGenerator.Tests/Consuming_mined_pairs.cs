using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Pairs;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Teaching;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.TraceGenerator.Tests;

[Collection(HarnessDatabaseCollection.Name)]
public class Consuming_mined_pairs(HarnessDatabase database)
{
    /// <summary>What pair-miner announces after mining a trial whose pairs the fake serves: all of them new.</summary>
    private static PairsMined Mined(FakePairMiner pairMiner, string trialId, Guid correlationId)
    {
        var ids = pairMiner.PairIdsOf(trialId);
        return new(trialId, "ctgov", trialId, 1, [new PairCount(PairKinds.Natural, Factors.Dose, ids.Count)], ids.Count, correlationId, ids);
    }

    private static string NewDatasetName() => "harness-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_mined_trial_becomes_step_examples_in_its_trials_split_and_the_dataset_is_announced()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 1);
        var trial = pairMiner.Trials["NCT01037244"];
        var expected = pairMiner.Pairs.SelectMany(p => PairSteps.FromPair(p, trial, trial)).ToList();
        var name = NewDatasetName();
        await using var provider = database.Services(pairMiner, name);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        var correlationId = NewId.NextGuid();
        await harness.Bus.Publish(Mined(pairMiner, "NCT01037244", correlationId));

        Assert.True(await harness.Consumed.Any<PairsMined>(x => x.Context.Message.CorrelationId == correlationId));
        var ready = (await harness.Published.SelectAsync<SftExamplesReady>().ToListAsync()).Single().Context.Message;
        Assert.Equal(correlationId, ready.CorrelationId);
        Assert.Equal(name, ready.DatasetName);
        Assert.Equal(StepFormat.TemplateVersion, ready.TemplateVersion);
        Assert.Equal(expected.Count, ready.Counts.Sum(c => c.Examples));
        Assert.All(ready.Counts, c => Assert.Equal(TrialSplit.Of("NCT01037244"), c.Split));
        Assert.Equal(expected.GroupBy(s => s.Factor).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())), ready.Counts.Select(c => (c.Factor, c.Examples)));

        var repository = provider.GetRequiredService<DatasetRepository>();
        var stored = await repository.ExamplesAsync(ready.DatasetId, null, null, null, 1000, CancellationToken.None);
        Assert.Equal(expected.Count, stored.Count);
        Assert.All(stored, e =>
        {
            var parsed = StepAnswer.Parse(e.Completion);
            Assert.True(parsed.IsParseable, parsed.Error);
            Assert.Equal(e.ExpectedDirection, StepFormat.Word(parsed.Direction));
            Assert.Equal(e.ExpectedLogRatio, parsed.LogRatio);
            Assert.Equal(e.ExpectedSignificant, parsed.Significant);
            Assert.Equal(TraceSources.Grounded, e.TraceSource);
            Assert.Equal(["NCT01037244"], e.TrialIds);
            Assert.Equal(StepFormat.SystemText, e.System);
        });
        var corpus = Assert.Single(await repository.CorpusAsync(ready.DatasetId, null, CancellationToken.None));
        Assert.Equal(RegistryText.Of(trial), corpus.Text);
    }

    [Fact]
    public async Task A_redelivered_PairsMined_adds_nothing_and_announces_nothing()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT00931528", 2);
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var message = Mined(pairMiner, "NCT00931528", NewId.NextGuid());

        await harness.Bus.Publish(message);
        Assert.True(await harness.Consumed.Any<PairsMined>());
        var ready = (await harness.Published.SelectAsync<SftExamplesReady>().ToListAsync()).Single().Context.Message;
        await harness.Bus.Publish(message);
        await WaitUntilAsync(() => harness.Consumed.Select<PairsMined>().Count() == 2);
        await harness.InactivityTask;

        Assert.Equal(2, pairMiner.PairCalls);
        Assert.Single(harness.Published.Select<SftExamplesReady>());
        var counts = await provider.GetRequiredService<DatasetRepository>().CountsAsync(ready.DatasetId, CancellationToken.None);
        Assert.Equal(ready.Counts, counts);
    }

    [Fact]
    public async Task An_announcement_that_failed_after_the_examples_were_stored_is_made_on_the_retry()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT00931528", 7);
        await using var provider = database.Services(pairMiner, NewDatasetName(), failPublishes: 1);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var correlationId = NewId.NextGuid();

        await harness.Bus.Publish(Mined(pairMiner, "NCT00931528", correlationId));

        var ready = (await harness.Published.SelectAsync<SftExamplesReady>(x => x.Context.Message.CorrelationId == correlationId).ToListAsync()).Single().Context.Message;
        Assert.True(pairMiner.PairCalls >= 2, "the consumer did not run again after the failed announcement");
        Assert.Equal(await provider.GetRequiredService<DatasetRepository>().CountsAsync(ready.DatasetId, CancellationToken.None), ready.Counts);
        Assert.True(ready.Counts.Sum(c => c.Examples) > 0);
    }

    [Fact]
    public async Task A_trial_with_nothing_mined_fetches_no_pair_and_announces_nothing()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 3);
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(new PairsMined("NCT01037244", "ctgov", "NCT01037244", 1, [], 0, NewId.NextGuid(), []));

        Assert.True(await harness.Consumed.Any<PairsMined>());
        Assert.Equal(0, pairMiner.PairCalls);
        Assert.False(await harness.Published.Any<SftExamplesReady>());
    }

    [Fact]
    public async Task A_mining_that_added_no_pair_fetches_nothing_adds_nothing_and_announces_nothing()
    {
        // A redelivered trial: pair-miner mines it again, finds every pair stored and names no new id.
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 8);
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var counts = new[] { new PairCount(PairKinds.Natural, Factors.Dose, pairMiner.Pairs.Count) };

        await harness.Bus.Publish(new PairsMined("NCT01037244", "ctgov", "NCT01037244", 1, counts, 0, NewId.NextGuid(), []));

        Assert.True(await harness.Consumed.Any<PairsMined>());
        Assert.Equal(0, pairMiner.PairCalls);
        Assert.False(await harness.Published.Any<SftExamplesReady>());
    }

    [Fact]
    public async Task Only_the_pairs_the_mining_added_are_fetched_and_become_examples()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 9);
        var trial = pairMiner.Trials["NCT01037244"];
        var newIds = pairMiner.PairIdsOf("NCT01037244").Where(id => PairSteps.FromPair(pairMiner.Pairs[(int)id - 1], trial, trial).Count > 0).Take(3).ToList();
        var expected = newIds.Sum(id => PairSteps.FromPair(pairMiner.Pairs[(int)id - 1], trial, trial).Count);
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var correlationId = NewId.NextGuid();

        await harness.Bus.Publish(new PairsMined("NCT01037244", "ctgov", "NCT01037244", 1,
            [new PairCount(PairKinds.Natural, Factors.Dose, pairMiner.Pairs.Count)], newIds.Count, correlationId, newIds));

        var ready = (await harness.Published.SelectAsync<SftExamplesReady>(x => x.Context.Message.CorrelationId == correlationId).ToListAsync()).Single().Context.Message;
        Assert.True(pairMiner.Pairs.Count > newIds.Count + 5);
        Assert.Equal(newIds, pairMiner.RequestedIds);
        Assert.Equal(expected, ready.Counts.Sum(c => c.Examples));
    }

    [Fact]
    public async Task A_pair_across_two_trials_of_different_splits_lands_in_the_more_held_out_split()
    {
        // One arm pair of NCT01037244, its B side re-labelled as a trial of another split (an approximate pair in shape).
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 4);
        var anchorSplit = TrialSplit.Of("NCT01037244");
        var otherId = Enumerable.Range(1, 10_000).Select(i => $"NCT9{i:D7}").First(id => TrialSplit.Of(id) == TrialSplit.Test && anchorSplit != TrialSplit.Test);
        var pair = pairMiner.Pairs.First(p => p.Factors.SequenceEqual([Factors.Arm]) && p.Direction.Direction != DirectionLabel.Incomparable);
        pairMiner.Pairs.Clear();
        pairMiner.Pairs.Add(pair with { Kind = PairKinds.Approximate, B = pair.B with { TrialId = otherId, TrialRowId = 99 } });
        pairMiner.Trials[otherId] = pairMiner.Trials["NCT01037244"] with { TrialId = otherId };
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var generation = provider.CreateScope().ServiceProvider.GetRequiredService<ExampleGeneration>();

        var outcome = await generation.GenerateAsync("NCT01037244", [1], CancellationToken.None);

        Assert.Equal(2, outcome.Added);
        var examples = await provider.GetRequiredService<DatasetRepository>().ExamplesAsync(outcome.DatasetId, null, null, null, 10, CancellationToken.None);
        Assert.All(examples, e => Assert.Equal(TrialSplit.Test, e.Split));
        Assert.All(examples, e => Assert.Equal(["NCT01037244", otherId], e.TrialIds));
        Assert.Empty(await provider.GetRequiredService<DatasetRepository>().ExamplesAsync(outcome.DatasetId, TrialSplit.Train, null, null, 10, CancellationToken.None));
        var corpus = await provider.GetRequiredService<DatasetRepository>().CorpusAsync(outcome.DatasetId, null, CancellationToken.None);
        Assert.Equal([("NCT01037244", anchorSplit), (otherId, TrialSplit.Test)], corpus.Select(c => (c.TrialId, c.Split)).OrderBy(c => c.TrialId));
    }

    [Fact]
    public async Task Examples_page_in_stored_order_without_gaps_or_repeats()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT02305381", 5);
        await using var provider = database.Services(pairMiner, NewDatasetName());
        var outcome = await provider.CreateScope().ServiceProvider.GetRequiredService<ExampleGeneration>().GenerateAsync("NCT02305381", pairMiner.PairIdsOf("NCT02305381"), CancellationToken.None);
        var repository = provider.GetRequiredService<DatasetRepository>();

        var all = await repository.ExamplesAsync(outcome.DatasetId, null, null, null, 1000, CancellationToken.None);
        var paged = new List<StepExampleRecord>();
        Guid? after = null;
        while (true)
        {
            var page = await repository.ExamplesAsync(outcome.DatasetId, null, null, after, 7, CancellationToken.None);
            if (page.Count == 0) break;
            paged.AddRange(page);
            after = page[^1].ExampleId;
        }

        Assert.True(all.Count > 7, $"only {all.Count} examples");
        Assert.Equal(all.Select(e => e.ExampleId), paged.Select(e => e.ExampleId));
        var dose = await repository.ExamplesAsync(outcome.DatasetId, null, Factors.Dose, null, 1000, CancellationToken.None);
        Assert.Equal(all.Count(e => e.Factor == Factors.Dose), dose.Count);
    }

    [Fact]
    public async Task An_external_teachers_trace_is_kept_only_where_it_agrees_and_no_step_is_asked_twice()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Answer = _ => (200, "The change moves the result up.\nRESULT: direction=higher log_ratio=unknown significant=unknown");
        var options = new ExternalTeacherOptions { Enabled = true, Url = server.BaseUrl, Model = "fake-teacher" };
        var teacher = new ExternalTeacher(ExternalTeacher.CreateChatClient(options), options, NullLogger<ExternalTeacher>.Instance);
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 6);
        await using var provider = database.Services(pairMiner, NewDatasetName(), teacher);

        var first = await provider.CreateScope().ServiceProvider.GetRequiredService<ExampleGeneration>().GenerateAsync("NCT01037244", pairMiner.PairIdsOf("NCT01037244"), CancellationToken.None);
        var asked = server.Requests.Count;
        var second = await provider.CreateScope().ServiceProvider.GetRequiredService<ExampleGeneration>().GenerateAsync("NCT01037244", pairMiner.PairIdsOf("NCT01037244"), CancellationToken.None);

        var examples = await provider.GetRequiredService<DatasetRepository>().ExamplesAsync(first.DatasetId, null, null, null, 1000, CancellationToken.None);
        Assert.Equal(first.Steps, asked);
        Assert.Equal(asked, server.Requests.Count);
        Assert.Equal(0, second.Added);
        Assert.Contains(examples, e => e.ExpectedDirection == "higher");
        Assert.Contains(examples, e => e.ExpectedDirection != "higher");
        Assert.All(examples, e => Assert.Equal(e.ExpectedDirection == "higher" ? "external:fake-teacher" : TraceSources.Grounded, e.TraceSource));
        Assert.All(examples.Where(e => e.TraceSource != TraceSources.Grounded), e =>
            Assert.Equal($"The change moves the result up.\n{StepAnswer.ResultLine(StepAnswer.Parse(e.Completion))}", e.Completion));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 30 s");
            await Task.Delay(20);
        }
    }
}
