using DeepImagine.Contracts.V1;
using DeepImagine.RewardVerifier.Data;
using DeepImagine.Rewards;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.RewardVerifier.Tests;

[Collection(HarnessDatabaseCollection.Name)]
public class Verifying_rollout_groups(HarnessDatabase database)
{
    private static VerifiablePromptRecord Comparative() => new(Guid.NewGuid(), Guid.NewGuid(), VerifiablePromptKinds.Comparative, null, "train", ["NCT00738400"], 1,
        "system", "Which option states the trial's result on this endpoint?",
        ["Placebo is significantly worse.", "Vardenafil is significantly worse.", "No significant difference."], new VerifiableAnswer(null, null, null, 0));

    private static VerifiablePromptRecord Step(VerifiableAnswer gold) => new(Guid.NewGuid(), Guid.NewGuid(), VerifiablePromptKinds.ApproximateStep, "dose", "train",
        ["NCT1", "NCT2"], 1, "system", "Change (dose)", null, gold);

    private static RolloutsGenerated Group(VerifiablePromptRecord prompt, params string[] texts) => new(Guid.NewGuid(), Guid.NewGuid(), NewId.NextGuid(), prompt.PromptId,
        "policy", 3, texts.Select((t, i) => new RolloutCompletion(i, t, 12, "eos")).ToList(), "worker-1", 100, DateTimeOffset.UtcNow);

    private static async Task<RewardsVerified> SinglePublished(ITestHarness harness, Guid groupId) =>
        (await harness.Published.SelectAsync<RewardsVerified>(x => x.Context.Message.GroupId == groupId).ToListAsync()).Single().Context.Message;

    [Fact]
    public async Task A_group_is_scored_against_the_gold_and_published_with_group_relative_advantages()
    {
        var prompt = Comparative();
        await using var provider = database.Services(new FakeTraceGenerator().With(prompt));
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var group = Group(prompt, "Placebo rarely helps.\nANSWER: 1", "ANSWER: 2", "I cannot tell.", "**Answer:** (1)");

        await harness.Bus.Publish(group);

        var verified = await SinglePublished(harness, group.GroupId);
        Assert.Equal((group.JobId, group.BatchId, group.PromptId, "policy", 3), (verified.JobId, verified.BatchId, verified.PromptId, verified.ModelName, verified.PolicyVersion));
        Assert.Equal([0, 1, 2, 3], verified.Rewards.Select(r => r.Index));
        Assert.Equal([1.0, 0.0, -1.0, 1.0], verified.Rewards.Select(r => r.Reward));
        Assert.Equal([true, true, false, true], verified.Rewards.Select(r => r.Parseable));
        Assert.Equal([0.0, 0.0, -1.0, 0.0], verified.Rewards.Select(r => r.Components[RewardComponents.Format]));
        Assert.Equal([1.0, 0.0, 0.0, 1.0], verified.Rewards.Select(r => r.Components[RewardComponents.Option]));
        // Rewards 1, 0, −1, 1: mean 0.25, sample std sqrt(2.75 / 3) = 0.957427.
        var std = Math.Sqrt(2.75 / 3);
        double[] expected = [0.75 / (std + 1e-4), -0.25 / (std + 1e-4), -1.25 / (std + 1e-4), 0.75 / (std + 1e-4)];
        Assert.All(expected.Zip(verified.Rewards), x => Assert.Equal(x.First, x.Second.Advantage, 12));

        var stored = (await provider.GetRequiredService<RewardRepository>().GetAsync(group.GroupId, CancellationToken.None))!;
        Assert.NotNull(stored.PublishedAt);
        Assert.Equal(VerifiablePromptKinds.Comparative, stored.PromptKind);
        Assert.Equal(group.Completions.Select(c => c.Text), stored.Completions.Select(c => c.Text));
        Assert.Equal(verified.Rewards.Select(r => (r.Reward, r.Advantage)), stored.Completions.Select(c => (c.Reward, c.Advantage)));
        Assert.Contains("no line starting with 'ANSWER:'", stored.Completions[2].ParseError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_of_a_prompt_whose_gold_is_unknown_get_no_reward_and_advantage_zero()
    {
        var prompt = Step(new VerifiableAnswer(null, null, null, null));
        await using var provider = database.Services(new FakeTraceGenerator().With(prompt));
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var group = Group(prompt, "RESULT: direction=higher log_ratio=0.2 significant=yes", "nonsense");

        await harness.Bus.Publish(group);

        var verified = await SinglePublished(harness, group.GroupId);
        Assert.All(verified.Rewards, r => Assert.Null(r.Reward));
        Assert.All(verified.Rewards, r => Assert.Equal(0, r.Advantage));
        Assert.Equal([0.0, -1.0], verified.Rewards.Select(r => r.Components[RewardComponents.Format]));
    }

    [Fact]
    public async Task A_redelivered_group_is_scored_stored_and_published_once_and_prompts_are_read_once()
    {
        var prompt = Step(new VerifiableAnswer("higher", true, 0.4, null));
        var traceGenerator = new FakeTraceGenerator().With(prompt);
        await using var provider = database.Services(traceGenerator);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var group = Group(prompt, "RESULT: direction=higher log_ratio=0.4 significant=yes", "RESULT: direction=lower log_ratio=-0.4 significant=no");
        var other = Group(prompt, "RESULT: direction=same log_ratio=0 significant=no", "RESULT: direction=higher log_ratio=0.5 significant=yes");

        await harness.Bus.Publish(group);
        var first = await SinglePublished(harness, group.GroupId);
        await harness.Bus.Publish(group);
        await harness.Bus.Publish(other);
        await WaitUntilAsync(() => harness.Consumed.Select<RolloutsGenerated>().Count() == 3);
        await harness.InactivityTask;

        Assert.Equal(first, await SinglePublished(harness, group.GroupId), RewardsComparer);
        Assert.Single(await harness.Published.SelectAsync<RewardsVerified>(x => x.Context.Message.GroupId == other.GroupId).ToListAsync());
        // The second answer is wrong on direction and significance; 0.8 off on the log ratio: 0.5·exp(−0.8 / 0.5).
        Assert.Equal([2.0, Math.Round(0.5 * Math.Exp(-1.6), 9)], first.Rewards.Select(r => Math.Round(r.Reward!.Value, 9)));
        Assert.Equal(1, traceGenerator.Requests);
        var stored = await provider.GetRequiredService<RewardRepository>().ListAsync(group.JobId, null, 100, CancellationToken.None);
        Assert.Equal([group.GroupId], stored.Select(g => g.GroupId));
    }

    [Fact]
    public async Task An_announcement_that_failed_after_the_rewards_were_stored_is_made_on_the_retry_with_the_stored_rewards()
    {
        var prompt = Comparative();
        await using var provider = database.Services(new FakeTraceGenerator().With(prompt), failPublishes: 2);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var group = Group(prompt, "ANSWER: 1", "ANSWER: 3");

        await harness.Bus.Publish(group);

        var verified = await SinglePublished(harness, group.GroupId);
        var stored = (await provider.GetRequiredService<RewardRepository>().GetAsync(group.GroupId, CancellationToken.None))!;
        Assert.Equal(stored.VerifiedAt, verified.At);
        Assert.Equal(stored.Completions.Select(c => c.Advantage), verified.Rewards.Select(r => r.Advantage));
        await WaitUntilAsync(() => provider.GetRequiredService<RewardRepository>().GetAsync(group.GroupId, CancellationToken.None).Result!.PublishedAt is not null);
    }

    [Fact]
    public async Task A_restarted_verifier_loses_nothing_and_counts_nothing_twice()
    {
        var prompt = Comparative();
        var announced = Group(prompt, "ANSWER: 1", "ANSWER: 2");
        var unannounced = Group(prompt, "ANSWER: 3", "ANSWER: 1");
        // MassTransit keeps its log context per async flow: the three lives stay undisposed until the end, each stopped in turn.
        // First life: one group announced.
        await using var first = database.Services(new FakeTraceGenerator().With(prompt));
        var firstHarness = first.GetRequiredService<ITestHarness>();
        await firstHarness.Start();
        await firstHarness.Bus.Publish(announced);
        var before = await SinglePublished(firstHarness, announced.GroupId);
        await firstHarness.Stop();

        // Second life: the other group is stored, but every publish of it fails (the broker went away) and the message ends
        // in the error queue after the transient retries (0.1 + 0.5 + 2 + 5 s).
        await using var second = database.Services(new FakeTraceGenerator().With(prompt), failPublishes: 100);
        var secondHarness = second.GetRequiredService<ITestHarness>();
        await secondHarness.Start();
        await secondHarness.Bus.Publish(unannounced);
        await WaitUntilAsync(() => secondHarness.Published.Select<Fault<RolloutsGenerated>>(x => x.Context.Message.Message.GroupId == unannounced.GroupId).Any(), TimeSpan.FromSeconds(30));
        Assert.Null((await second.GetRequiredService<RewardRepository>().GetAsync(unannounced.GroupId, CancellationToken.None))!.PublishedAt);
        await secondHarness.Stop();

        // Third life, with an empty cache and a trace-generator that no longer knows the prompt: both groups arrive again
        // (redelivery, replay from the error queue). The announced one is not announced again; the other is, from the store.
        var traceGenerator = new FakeTraceGenerator();
        await using var third = database.Services(traceGenerator);
        var harness = third.GetRequiredService<ITestHarness>();
        await harness.Start();
        await harness.Bus.Publish(announced);
        await harness.Bus.Publish(unannounced);
        var replayed = await SinglePublished(harness, unannounced.GroupId);
        await WaitUntilAsync(() => harness.Consumed.Select<RolloutsGenerated>().Count() == 2);
        await harness.InactivityTask;

        Assert.False(await harness.Published.Any<RewardsVerified>(x => x.Context.Message.GroupId == announced.GroupId));
        Assert.Equal([0.0, 1.0], replayed.Rewards.Select(r => r.Reward!.Value)); // gold option 0 = "ANSWER: 1"
        Assert.Equal(0, traceGenerator.Requests);
        var repository = third.GetRequiredService<RewardRepository>();
        Assert.Equal(before.Rewards.Select(r => (r.Reward, r.Advantage)), (await repository.GetAsync(announced.GroupId, CancellationToken.None))!.Completions.Select(c => (c.Reward, c.Advantage)));
        await WaitUntilAsync(() => repository.GetAsync(unannounced.GroupId, CancellationToken.None).Result!.PublishedAt is not null);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "no completions", "completions is empty" },
        { "unknown prompt", "is unknown to trace-generator" },
        { "index twice", "completions[1].index 0 appears twice" },
        { "negative index", "completions[0].index is -1" },
        { "no model", "modelName is empty" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_group_that_can_never_be_verified_goes_to_the_error_queue_with_its_reason_untried_again(string kind, string reason)
    {
        var prompt = Comparative();
        var traceGenerator = new FakeTraceGenerator().With(prompt);
        await using var provider = database.Services(traceGenerator);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var good = Group(prompt, "ANSWER: 1", "ANSWER: 2");
        var message = kind switch
        {
            "no completions" => good with { Completions = [] },
            "unknown prompt" => good with { PromptId = Guid.NewGuid() },
            "index twice" => good with { Completions = [new RolloutCompletion(0, "ANSWER: 1", 3, "eos"), new RolloutCompletion(0, "ANSWER: 2", 3, "eos")] },
            "negative index" => good with { Completions = [new RolloutCompletion(-1, "ANSWER: 1", 3, "eos")] },
            _ => good with { ModelName = " " },
        };

        await harness.Bus.Publish(message);

        var fault = (await harness.Published.SelectAsync<Fault<RolloutsGenerated>>().ToListAsync()).Single().Context.Message;
        var exception = Assert.Single(fault.Exceptions);
        Assert.Contains($"group {good.GroupId}", exception.Message, StringComparison.Ordinal);
        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
        Assert.EndsWith(nameof(Verifying.RolloutRejectedException), exception.ExceptionType, StringComparison.Ordinal);
        Assert.Equal(kind == "unknown prompt" ? 1 : 0, traceGenerator.Requests); // not retried
        Assert.False(await harness.Published.Any<RewardsVerified>());
        Assert.Null(await provider.GetRequiredService<RewardRepository>().GetAsync(good.GroupId, CancellationToken.None));
    }

    private static readonly IEqualityComparer<RewardsVerified> RewardsComparer = EqualityComparer<RewardsVerified>.Create(
        (a, b) => a!.GroupId == b!.GroupId && a.At == b.At && a.Rewards.Select(r => (r.Index, r.Reward, r.Advantage)).SequenceEqual(b.Rewards.Select(r => (r.Index, r.Reward, r.Advantage))));

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(condition());
    }
}
