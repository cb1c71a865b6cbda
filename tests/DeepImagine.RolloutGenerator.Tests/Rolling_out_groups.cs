using DeepImagine.Persistence;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Model;
using DeepImagine.RolloutGenerator.Api;
using DeepImagine.RolloutGenerator.Rollouts;
using MassTransit;
using MassTransit.Testing;
using static TorchSharp.torch;

namespace DeepImagine.RolloutGenerator.Tests;

public sealed class Rolling_out_groups : IDisposable
{
    private readonly TinyPolicies _policies = new();

    public void Dispose() => _policies.Dispose();

    [Fact]
    public async Task A_request_yields_one_RolloutsGenerated_per_prompt_whose_stored_log_probs_are_the_policys_own()
    {
        var version = _policies.PublishPolicy(seed: 3).Manifest.Version;
        // Three prompts, two per batch: the request is split, and one batch holds two prompts' groups.
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a", maxPromptsInFlight: 2);
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, version, prompts: 3, groupSize: 4);

        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 3, "three groups");

        var generated = worker.Generated(request.BatchId);
        Assert.Equal(request.Prompts.Select(p => p.GroupId).Order(), generated.Select(g => g.GroupId).Order());
        var stored = await worker.Get<RolloutRepository>().GetManyAsync(request.Prompts.Select(p => p.GroupId).ToList(), CancellationToken.None);
        // The learner's view: the policy loaded from the store on its own, adapters not merged.
        using var policy = _policies.Store.Load(TinyPolicies.PolicyName, version);
        foreach (var message in generated)
        {
            var prompt = request.Prompts.Single(p => p.GroupId == message.GroupId);
            Assert.Equal((request.JobId, prompt.PromptId, TinyPolicies.PolicyName, version, "worker-a"),
                (message.JobId, message.PromptId, message.ModelName, message.PolicyVersion, message.Worker));
            Assert.Equal([0, 1, 2, 3], message.Completions.Select(c => c.Index));
            Assert.True(message.TokensPerSecond > 0);
            var view = RolloutEndpoints.View(stored[message.GroupId]);
            Assert.Equal(RolloutSampler.PromptTokens(policy.Tokenizer, prompt), view.PromptTokenIds);
            Assert.Equal(4, view.Completions.Count);
            foreach (var completion in message.Completions)
            {
                var tokens = view.Completions[completion.Index];
                Assert.Equal(completion.TokenCount, tokens.TokenIds.Count);
                Assert.Equal(tokens.TokenIds.Count, tokens.LogProbs.Count);
                Assert.Equal(completion.FinishReason, tokens.FinishReason);
                var endedByEos = tokens.TokenIds[^1] == policy.Tokenizer.ImEndId || tokens.TokenIds[^1] == policy.Tokenizer.EndOfTextId;
                Assert.Equal(endedByEos ? RolloutSampler.Eos : RolloutSampler.Length, completion.FinishReason);
                if (!endedByEos) Assert.Equal(request.Sampling.MaxNewTokens, tokens.TokenIds.Count);
                Assert.Equal(StorableText.Of(policy.Tokenizer.Decode(endedByEos ? tokens.TokenIds.Take(tokens.TokenIds.Count - 1) : tokens.TokenIds)), completion.Text);
            }
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (logProbs, mask) = TokenLogProbs.OfCompletions(policy.Model, view.Completions.Select(_ => view.PromptTokenIds).ToList(),
                view.Completions.Select(c => c.TokenIds).ToList(), policy.Tokenizer.PadId);
            var recomputed = logProbs.cpu().data<float>().ToArray();
            var width = (int)logProbs.shape[1];
            for (var row = 0; row < view.Completions.Count; row++)
            {
                var sampled = view.Completions[row].LogProbs;
                for (var t = 0; t < sampled.Count; t++)
                    Assert.True(Math.Abs(sampled[t] - recomputed[row * width + t]) < 2e-4,
                        $"group {message.GroupId} completion {row} token {t}: sampler {sampled[t]}, learner {recomputed[row * width + t]}");
            }
        }
        // Sampled, not greedy: a group's completions are not all the same.
        Assert.Contains(stored.Values, g => g.Completions.Select(c => string.Join(',', c.TokenIds)).Distinct().Count() > 1);
    }

    [Fact]
    public async Task A_redelivered_request_generates_each_group_once_and_announces_it_once()
    {
        var version = _policies.PublishPolicy(seed: 4).Manifest.Version;
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, version, prompts: 2);
        var repository = worker.Get<RolloutRepository>();

        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 2, "two groups");
        var first = await repository.GetManyAsync(request.Prompts.Select(p => p.GroupId).ToList(), CancellationToken.None);
        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Harness.Consumed.Select<RolloutsRequested>(m => m.Context.Message.BatchId == request.BatchId).Count() == 2,
            "the second delivery");

        var second = await repository.GetManyAsync(request.Prompts.Select(p => p.GroupId).ToList(), CancellationToken.None);
        Assert.Equal(2, worker.Generated(request.BatchId).Count);
        foreach (var (groupId, group) in first)
        {
            Assert.Equal(group.GeneratedAt, second[groupId].GeneratedAt);
            Assert.Equal(group.Completions.Select(c => c.TokenIds), second[groupId].Completions.Select(c => c.TokenIds));
        }
    }

    [Fact]
    public async Task A_group_stored_by_a_worker_killed_before_announcing_it_is_announced_from_the_store_not_generated_again()
    {
        var version = _policies.PublishPolicy(seed: 5).Manifest.Version;
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-b");
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, version, prompts: 2, groupSize: 2);
        var repository = worker.Get<RolloutRepository>();
        // What a worker killed between storing the first group and publishing it leaves behind.
        var prompt = request.Prompts[0];
        var left = new StoredGroup(prompt.GroupId, request.JobId, request.BatchId, prompt.PromptId, TinyPolicies.PolicyName, version, [1, 2, 3], "killed-worker", 42,
            DateTimeOffset.UtcNow, null, [new StoredCompletion(0, "left", [5, 6], [-0.5f, -0.25f], RolloutSampler.Length), new StoredCompletion(1, "behind", [7], [-1f], RolloutSampler.Eos)]);
        Assert.True(await repository.InsertAsync(left, CancellationToken.None));

        await worker.Harness.Bus.Publish(request); // the redelivery
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 2, "two groups");

        var announced = worker.Generated(request.BatchId).Single(g => g.GroupId == prompt.GroupId);
        Assert.Equal("killed-worker", announced.Worker);
        Assert.Equal(["left", "behind"], announced.Completions.Select(c => c.Text));
        Assert.Equal([2, 1], announced.Completions.Select(c => c.TokenCount));
        Assert.Equal("worker-b", worker.Generated(request.BatchId).Single(g => g.GroupId != prompt.GroupId).Worker);
        Assert.NotNull((await repository.GetAsync(prompt.GroupId, CancellationToken.None))!.PublishedAt);
    }

    [Fact]
    public async Task A_group_claimed_by_a_worker_that_dies_mid_batch_is_generated_once_by_the_redelivery()
    {
        var version = _policies.PublishPolicy(seed: 6).Manifest.Version;
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-c");
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, version, prompts: 3, groupSize: 2);
        // Another worker is mid-batch on the second group: it holds the claim (RolloutRepository's lock) on its own connection.
        await using var dying = RolloutHarness.DataSource(pooling: false);
        var connection = await dying.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<bool>("select pg_try_advisory_lock(@key)", new { key = RolloutRepository.LockKey(request.Prompts[1].GroupId) }));

        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 2, "the two free groups");
        await Task.Delay(500);
        Assert.DoesNotContain(worker.Generated(request.BatchId), g => g.GroupId == request.Prompts[1].GroupId); // waited for, not taken
        // The other worker is killed: its connection closes without releasing anything, and the database drops its locks.
        await connection.DisposeAsync();
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 3, "the abandoned group");

        Assert.Equal(request.Prompts.Select(p => p.GroupId).Order(), worker.Generated(request.BatchId).Select(g => g.GroupId).Order());
        Assert.All(worker.Generated(request.BatchId), g => Assert.Equal("worker-c", g.Worker));
    }

    [Fact]
    public async Task Two_instances_given_the_same_request_generate_each_group_once_between_them()
    {
        var version = _policies.PublishPolicy(seed: 7).Manifest.Version;
        await using var first = await RolloutHarness.StartAsync(_policies.Store, "worker-1", maxPromptsInFlight: 1);
        await using var second = await RolloutHarness.StartAsync(_policies.Store, "worker-2", maxPromptsInFlight: 1);
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, version, prompts: 4, groupSize: 2);

        await Task.WhenAll(first.Harness.Bus.Publish(request), second.Harness.Bus.Publish(request));
        await RolloutHarness.WaitUntilAsync(() => first.Generated(request.BatchId).Concat(second.Generated(request.BatchId)).Select(g => g.GroupId).Distinct().Count() == 4,
            "four groups");
        // Both copies (split into single-prompt requests) are consumed to the end before counting.
        await RolloutHarness.WaitUntilAsync(() => first.Harness.Consumed.Select<RolloutsRequested>().Count() == 5 && second.Harness.Consumed.Select<RolloutsRequested>().Count() == 5,
            "both instances done");

        var announcements = first.Generated(request.BatchId).Concat(second.Generated(request.BatchId)).ToList();
        Assert.Equal(request.Prompts.Select(p => p.GroupId).Order(), announcements.Select(g => g.GroupId).Order());
        var stored = await first.Get<RolloutRepository>().GetManyAsync(request.Prompts.Select(p => p.GroupId).ToList(), CancellationToken.None);
        Assert.All(announcements, a => Assert.Equal(stored[a.GroupId].Worker, a.Worker));
    }

    [Theory]
    [InlineData("no-such-model", 1, "modelName:")]
    [InlineData(TinyPolicies.PolicyName, 99, "policyVersion:")]
    public async Task An_unknown_policy_is_refused_without_retries_naming_the_field(string model, int version, string field)
    {
        _policies.PublishPolicy(seed: 8);
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");
        var request = RolloutHarness.Request(model, version, prompts: 1);

        await worker.Harness.Bus.Publish(request);

        Assert.True(await worker.Harness.Published.Any<Fault<RolloutsRequested>>(f => f.Context.Message.Message.BatchId == request.BatchId));
        var fault = worker.Harness.Published.Select<Fault<RolloutsRequested>>(f => f.Context.Message.Message.BatchId == request.BatchId).Single().Context.Message;
        var reason = Assert.Single(fault.Exceptions).Message;
        Assert.Contains($"RolloutsRequested batch {request.BatchId}: {field}", reason, StringComparison.Ordinal);
        Assert.Single(worker.Harness.Consumed.Select<RolloutsRequested>(m => m.Context.Message.BatchId == request.BatchId));
        Assert.Empty(worker.Generated(request.BatchId));
    }

    [Fact]
    public void A_NUL_character_in_a_completion_is_stored_as_the_replacement_character()
    {
        Assert.Equal("a\uFFFDb", StorableText.Of("a\0b"));
        Assert.Equal("plain", StorableText.Of("plain"));
    }

    [Theory]
    [InlineData("groupSize")]
    [InlineData("sampling.maxNewTokens")]
    [InlineData("sampling.topP")]
    [InlineData("prompts[1].groupId")]
    [InlineData("prompts[0].prompt")]
    public void A_malformed_request_is_refused_naming_the_batch_and_the_field(string field)
    {
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, 1, prompts: 2);
        request = field switch
        {
            "groupSize" => request with { GroupSize = 0 },
            "sampling.maxNewTokens" => request with { Sampling = request.Sampling with { MaxNewTokens = -1 } },
            "sampling.topP" => request with { Sampling = request.Sampling with { TopP = 0 } },
            "prompts[1].groupId" => request with { Prompts = [request.Prompts[0], request.Prompts[1] with { GroupId = request.Prompts[0].GroupId }] },
            _ => request with { Prompts = [request.Prompts[0] with { Prompt = " " }, request.Prompts[1]] },
        };

        var error = Assert.Throws<RolloutRequestException>(() => RolloutRequestValidation.Validate(request));

        Assert.Equal(field, error.Field);
        Assert.StartsWith($"RolloutsRequested batch {request.BatchId}: {field}: ", error.Message, StringComparison.Ordinal);
    }
}
