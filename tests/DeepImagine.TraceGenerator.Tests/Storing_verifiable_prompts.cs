using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Prompts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.TraceGenerator.Tests;

[Collection(HarnessDatabaseCollection.Name)]
public class Storing_verifiable_prompts(HarnessDatabase database)
{
    private static string NewDatasetName() => "prompts-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A fake pair-miner serving NCT00738400, a copy of it in another country, and their approximate pair (id 1).</summary>
    private static FakePairMiner WithApproximatePair()
    {
        var (a, b, pair) = Building_verifiable_prompts.GeographyPair();
        var pairMiner = new FakePairMiner();
        pairMiner.Trials[a.TrialId] = a;
        pairMiner.Trials[b.TrialId] = b;
        pairMiner.Pairs.Add(pair);
        return pairMiner;
    }

    [Fact]
    public async Task A_mined_trial_stores_its_question_prompts_and_the_steps_of_its_approximate_pairs_once()
    {
        var pairMiner = WithApproximatePair();
        var name = NewDatasetName();
        await using var provider = database.Services(pairMiner, name);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var message = new PairsMined("COPY-NCT00738400", "ctgov", "COPY-NCT00738400", 1, [new PairCount(PairKinds.Approximate, Factors.Geography, 1)], 1, NewId.NextGuid(), [1]);

        await harness.Bus.Publish(message);
        await harness.Bus.Publish(message);
        await WaitUntilAsync(() => harness.Consumed.Select<PairsMined>().Count() == 2);
        await harness.InactivityTask;

        var datasetId = StepExample.DatasetIdOf(name);
        var prompts = provider.GetRequiredService<PromptRepository>();
        var stored = await prompts.PromptsAsync(datasetId, null, null, null, 1000, CancellationToken.None);
        var (a, b, pair) = Building_verifiable_prompts.GeographyPair();
        var expected = VerifiablePrompts.FromApproximatePair(datasetId, pair, a, b).Concat(VerifiablePrompts.FromTrial(datasetId, b)).ToList();
        Assert.Equal(expected.Count, stored.Count);
        Assert.Equal(expected.OrderBy(p => p.PromptId).Select(Comparable), stored.OrderBy(p => p.PromptId).Select(Comparable));
        Assert.Equal(2, stored.Count(p => p.Kind == VerifiablePromptKinds.ApproximateStep));
        Assert.Contains(stored, p => p.Kind == VerifiablePromptKinds.Superiority);

        var summary = (await provider.GetRequiredService<DatasetRepository>().GetAsync(datasetId, CancellationToken.None))!;
        Assert.Equal(
            expected.GroupBy(p => (p.Kind, p.Split)).OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenBy(g => g.Key.Split, StringComparer.Ordinal).Select(g => new PromptCount(g.Key.Kind, g.Key.Split, g.Count())),
            summary.Prompts);
    }

    [Fact]
    public async Task A_trial_without_new_pairs_still_gives_its_questions()
    {
        var pairMiner = new FakePairMiner();
        var trial = Mined_trial("NCT00738400");
        pairMiner.Trials[trial.TrialId] = trial;
        var name = NewDatasetName();
        await using var provider = database.Services(pairMiner, name);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(new PairsMined("NCT00738400", "ctgov", "NCT00738400", 1, [], 0, NewId.NextGuid(), []));
        Assert.True(await harness.Consumed.Any<PairsMined>());
        await harness.InactivityTask;

        var stored = await provider.GetRequiredService<PromptRepository>().PromptsAsync(StepExample.DatasetIdOf(name), null, null, null, 1000, CancellationToken.None);
        Assert.Equal(VerifiablePrompts.FromTrial(StepExample.DatasetIdOf(name), trial).Count, stored.Count);
        Assert.NotEmpty(stored);
        Assert.Equal(0, pairMiner.PairCalls);
        Assert.False(await harness.Published.Any<SftExamplesReady>());
    }

    [Fact]
    public async Task Prompts_page_by_kind_and_split_and_one_prompt_reads_back_with_its_gold()
    {
        var name = NewDatasetName();
        await using var provider = database.Services(new FakePairMiner(), name);
        var datasetId = await provider.GetRequiredService<DatasetRepository>().EnsureDatasetAsync(name, 1, CancellationToken.None);
        var repository = provider.GetRequiredService<PromptRepository>();
        var trialPrompts = VerifiablePrompts.FromTrial(datasetId, Mined_trial("NCT00738400"));
        var (a, b, pair) = Building_verifiable_prompts.GeographyPair();
        var all = VerifiablePrompts.FromApproximatePair(datasetId, pair, a, b).Concat(trialPrompts).ToList();

        Assert.Equal(all.Count, await repository.AddPromptsAsync(all, CancellationToken.None));
        Assert.Equal(0, await repository.AddPromptsAsync(all, CancellationToken.None));

        var first = await repository.PromptsAsync(datasetId, null, null, null, 3, CancellationToken.None);
        var rest = await repository.PromptsAsync(datasetId, null, null, first[^1].PromptId, 1000, CancellationToken.None);
        Assert.Equal(all.Select(p => p.PromptId), first.Concat(rest).Select(p => p.PromptId));
        var superiority = await repository.PromptsAsync(datasetId, null, VerifiablePromptKinds.Superiority, null, 1000, CancellationToken.None);
        Assert.Equal(all.Count(p => p.Kind == VerifiablePromptKinds.Superiority), superiority.Count);
        Assert.All(superiority, p => Assert.Equal(VerifiablePromptKinds.Superiority, p.Kind));
        var split = all[0].Split;
        Assert.Equal(all.Count(p => p.Split == split), (await repository.PromptsAsync(datasetId, split, null, null, 1000, CancellationToken.None)).Count);

        foreach (var prompt in all)
            Assert.Equal(Comparable(prompt), Comparable((await repository.GetAsync(prompt.PromptId, CancellationToken.None))!));
        Assert.Null(await repository.GetAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task A_malformed_prompt_is_refused_naming_the_prompt_and_the_field_and_nothing_is_stored()
    {
        var name = NewDatasetName();
        await using var provider = database.Services(new FakePairMiner(), name);
        var datasetId = await provider.GetRequiredService<DatasetRepository>().EnsureDatasetAsync(name, 1, CancellationToken.None);
        var repository = provider.GetRequiredService<PromptRepository>();
        var good = VerifiablePrompts.FromTrial(datasetId, Mined_trial("NCT00738400"));
        var question = good[0];

        (VerifiablePromptRecord Bad, string Field)[] cases =
        [
            (question with { Kind = "riddle" }, "kind 'riddle'"),
            (question with { Split = "holdout" }, "split 'holdout'"),
            (question with { SourceIds = [] }, "sourceIds"),
            (question with { Gold = question.Gold with { OptionIndex = 7 } }, "gold.optionIndex 7"),
            (question with { Options = ["only one"] }, "options"),
            (question with { Kind = VerifiablePromptKinds.ApproximateStep }, "no options and no gold.optionIndex"),
            (question with { Gold = question.Gold with { LogRatio = double.NaN } }, "gold.logRatio"),
            (question with { Gold = question.Gold with { Direction = "up" } }, "gold.direction 'up'"),
            (question with { Prompt = " " }, "prompt is empty"),
        ];
        foreach (var (bad, field) in cases)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => repository.AddPromptsAsync([.. good.Skip(1), bad], CancellationToken.None));
            Assert.Contains($"prompt {question.PromptId}", error.Message, StringComparison.Ordinal);
            Assert.Contains(field, error.Message, StringComparison.Ordinal);
        }
        Assert.Empty(await repository.PromptsAsync(datasetId, null, null, null, 1000, CancellationToken.None));
    }

    private static Trials.Trial Mined_trial(string id) => DeepImagine.Pairs.Tests.Mined.Trial(id);

    // Records hold lists, which compare by reference: compare their contents.
    private static string Comparable(VerifiablePromptRecord p) => System.Text.Json.JsonSerializer.Serialize(p);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
