using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Grpo;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.Model;
using DeepImagine.Model.Grpo;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DeepImagine.GpuLearner.Tests;

/// <summary>The inbox in memory: what the table does, for tests without a database.</summary>
public sealed class InMemoryRewardInbox : IRewardInbox
{
    private readonly List<(RewardsVerified Message, int? UsedAt)> _rows = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<(RewardsVerified Message, int? UsedAt)> Rows { get { lock (_lock) return _rows.ToList(); } }

    public Task AddAsync(RewardsVerified message, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_rows.Any(r => r.Message.JobId == message.JobId && r.Message.GroupId == message.GroupId)) _rows.Add((message, null));
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RewardsVerified>> PendingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult<IReadOnlyList<RewardsVerified>>(_rows.Where(r => r.Message.JobId == jobId && r.UsedAt is null).Select(r => r.Message).ToList());
    }

    public Task MarkUsedAsync(Guid jobId, IReadOnlyCollection<Guid> groupIds, int step, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            for (var i = 0; i < _rows.Count; i++)
                if (_rows[i].Message.JobId == jobId && groupIds.Contains(_rows[i].Message.GroupId)) _rows[i] = (_rows[i].Message, step);
        }
        return Task.CompletedTask;
    }

    public Task ReleaseAfterAsync(Guid jobId, int step, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            for (var i = 0; i < _rows.Count; i++)
                if (_rows[i].Message.JobId == jobId && _rows[i].UsedAt > step) _rows[i] = (_rows[i].Message, null);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// rollout-generator and reward-verifier in one fake: each requested group gets fixed completions, the sampler
/// log-probs of the base model, and rewards that are all equal for the first prompt of a batch (a zero-std group) and
/// 1, 0, 1, 0 for the others. With <see cref="InjectStale"/>, every request made with policy v3 or later also brings a
/// group sampled two versions earlier (a slow worker), which the learner must drop.
/// </summary>
public sealed class FakeRolloutSide : IRolloutSource
{
    private readonly Dictionary<Guid, RolloutGroupView> _groups = [];
    private readonly Lock _lock = new();
    private readonly Qwen3ForCausalLM _sampler;
    private readonly ChatTokenizer _tokenizer;

    public FakeRolloutSide(StoredVersion baseVersion)
    {
        _tokenizer = ChatTokenizer.Load(baseVersion.Directory);
        _sampler = Checkpoint.Load(baseVersion.Directory);
    }

    public bool InjectStale { get; set; }
    /// <summary>When set, completions are sampled from the requested policy version as rollout-generator would load it (base + adapter from the store).</summary>
    public ModelStore? SampleFrom { get; set; }
    private readonly Dictionary<int, Qwen3ForCausalLM> _policies = [];
    public int InjectedStale { get; private set; }
    public List<RolloutsRequested> Requests { get; } = [];

    public Task<RolloutGroupView?> GroupAsync(Guid groupId, CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult(_groups.GetValueOrDefault(groupId));
    }

    public IEnumerable<RewardsVerified> Serve(RolloutsRequested request)
    {
        lock (_lock)
        {
            Requests.Add(request);
            var served = request.Prompts.Select((p, i) => Group(request, p, request.PolicyVersion, zeroStd: i == 0)).ToList();
            if (InjectStale && request.PolicyVersion >= 3)
            {
                var slow = request.Prompts[^1] with { GroupId = Guid.NewGuid() };
                served.Add(Group(request, slow, request.PolicyVersion - 2, zeroStd: false));
                InjectedStale++;
            }
            return served;
        }
    }

    private Qwen3ForCausalLM Policy(RolloutsRequested request)
    {
        if (_policies.TryGetValue(request.PolicyVersion, out var loaded)) return loaded;
        var version = SampleFrom!.Find(request.ModelName, request.PolicyVersion) ?? throw new InvalidOperationException($"no {request.ModelName} v{request.PolicyVersion}");
        var parent = SampleFrom.Find(version.Manifest.ParentModel!, version.Manifest.ParentVersion)!;
        var model = Checkpoint.Load(parent.Directory);
        Checkpoint.LoadAdapter(model, version.Directory);
        return _policies[request.PolicyVersion] = model;
    }

    private RewardsVerified Group(RolloutsRequested request, RolloutPrompt prompt, int version, bool zeroStd)
    {
        var promptTokens = InProcessRollouts.PromptTokens(_tokenizer, [new ChatMessage("system", prompt.System), new ChatMessage("user", prompt.Prompt)]);
        IReadOnlyList<IReadOnlyList<int>> completions = Enumerable.Range(0, request.GroupSize).Select(i => (IReadOnlyList<int>)new[] { 40 + i % 3, 50 + i % 2, _tokenizer.ImEndId }).ToList();
        float[][] logProbs;
        if (SampleFrom is not null)
        {
            var sampled = TextGenerator.Generate(Policy(request), _tokenizer, Enumerable.Repeat(promptTokens, request.GroupSize).ToList(),
                new GenerationOptions
                {
                    MaxNewTokens = request.Sampling.MaxNewTokens, Temperature = request.Sampling.Temperature, Seed = request.Sampling.Seed ?? 0,
                    // A random tiny model hardly ever writes <|im_end|>: half the vocabulary ends a completion, so most are not truncated (and so are learned).
                    StopTokenIds = [.. Enumerable.Range(0, _tokenizer.VocabSize / 2), _tokenizer.ImEndId],
                });
            completions = sampled.Select(r => r.Tokens).ToList();
            logProbs = sampled.Select(r => r.LogProbs.ToArray()).ToArray();
            _groups[prompt.GroupId] = new RolloutGroupView(prompt.GroupId, request.JobId, prompt.PromptId, request.ModelName, version, promptTokens,
                sampled.Select((r, i) => new RolloutTokens(i, r.Tokens, r.LogProbs, r.FinishReason == StoppingCriteria.Length ? "length" : "eos")).ToList(), "sampling-worker", DateTimeOffset.UtcNow);
            // A reward the policy can move: 1 for an even first token.
            var byParity = sampled.Select((r, i) => new CompletionReward(i, r.Tokens[0] % 2 == 0 ? 1.0 : 0.0, 0, true, new Dictionary<string, double>())).ToList();
            return new RewardsVerified(request.JobId, request.BatchId, prompt.GroupId, prompt.PromptId, request.ModelName, version, byParity, DateTimeOffset.UtcNow);
        }
        using (no_grad())
        using (NewDisposeScope())
        {
            var scores = TokenLogProbs.OfCompletions(_sampler, completions.Select(_ => promptTokens).ToList(), completions, _tokenizer.PadId).LogProbs;
            logProbs = Enumerable.Range(0, completions.Count).Select(b => scores[b].data<float>().ToArray()).ToArray();
        }
        _groups[prompt.GroupId] = new RolloutGroupView(prompt.GroupId, request.JobId, prompt.PromptId, request.ModelName, version, promptTokens,
            completions.Select((c, i) => new RolloutTokens(i, c, logProbs[i], "eos")).ToList(), "fake-worker", DateTimeOffset.UtcNow);
        var rewards = Enumerable.Range(0, request.GroupSize)
            .Select(i => new CompletionReward(i, zeroStd ? 1.0 : (i % 2 == 0 ? 1.0 : 0.0), 0, true, new Dictionary<string, double>())).ToList();
        return new RewardsVerified(request.JobId, request.BatchId, prompt.GroupId, prompt.PromptId, request.ModelName, version, rewards, DateTimeOffset.UtcNow);
    }
}

/// <summary>The fake worker on the bus: consumes RolloutsRequested, publishes RewardsVerified.</summary>
public sealed class FakeRolloutWorker(FakeRolloutSide side) : IConsumer<RolloutsRequested>
{
    public async Task Consume(ConsumeContext<RolloutsRequested> context)
    {
        foreach (var scored in side.Serve(context.Message)) await context.Publish(scored);
    }
}

/// <summary>A learner process that dies (as with kill -9: no checkpoint written) when a step is reported.</summary>
internal sealed class CrashingSink(int crashAtStep) : ITrainingSinkDecorator(new RecordingSink())
{
    public override void Step(JobMetricPoint point, int totalSteps, double? etaSeconds)
    {
        if (point.Step == crashAtStep) throw new ProcessKilled();
        base.Step(point, totalSteps, etaSeconds);
    }
}

internal sealed class ProcessKilled : Exception;

/// <summary>Passes everything to an inner sink and remembers published versions.</summary>
internal class ITrainingSinkDecorator(RecordingSink inner) : DeepImagine.GpuLearner.Training.ITrainingSink
{
    public RecordingSink Inner => inner;
    public List<int> PublishedVersions { get; } = [];
    public virtual void Step(JobMetricPoint point, int totalSteps, double? etaSeconds) => inner.Step(point, totalSteps, etaSeconds);
    public Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken) => inner.CheckpointedAsync(step, points, cancellationToken);
    public Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken) => inner.HistoryAsync(cancellationToken);
    public Task VersionPublishedAsync(StoredVersion version, CancellationToken cancellationToken)
    {
        PublishedVersions.Add(version.Manifest.Version);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A grpo job's bus side on MassTransit's in-memory harness (no broker, no database): rollout requests out, scored
/// groups in through the RewardsVerified consumer, tokens read from a fake rollout-generator.
/// </summary>
public sealed class Training_with_rollouts : IAsyncLifetime
{
    private readonly FakeDatasets _datasets = new();
    private readonly InMemoryRewardInbox _inbox = new();
    private TinyStore _store = null!;
    private FakeRolloutSide _side = null!;
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _store = new TinyStore(_datasets);
        _side = new FakeRolloutSide(_store.BaseVersion!);
        _provider = new ServiceCollection()
            .AddSingleton<IRewardInbox>(_inbox)
            .AddSingleton(_side)
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<RewardsVerifiedConsumer>();
                bus.AddConsumer<FakeRolloutWorker>();
            })
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
        _store.Dispose();
    }

    private static readonly Dictionary<string, string> Small = new()
    {
        ["steps"] = "6", ["group_size"] = "4", ["prompts_per_step"] = "2", ["publish_every"] = "1", ["checkpoint_every"] = "2",
        ["max_new_tokens"] = "6", ["eval_examples"] = "4", ["learning_rate"] = "0.001", ["lora_rank"] = "4",
    };

    private static JobRecord Job(Guid jobId) =>
        new(jobId, "k-" + jobId, JobKinds.Grpo, TinyStore.BaseName, 1, FakeDatasets.DatasetId, null, Small, JobStatus.Running, false, 0, 6,
            null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null);

    private GrpoExecutor Executor() => new(_store.Store, _datasets, _side, _inbox, _harness.Bus,
        new LearnerOptions { RewardPollSeconds = 0.02, RolloutTimeoutSeconds = 60 }, NullLogger<GrpoExecutor>.Instance);

    private static double Value(JobMetricPoint point, string name) => point.Values![name];

    [Fact]
    public async Task Stale_groups_are_dropped_and_counted_and_zero_std_groups_are_skipped()
    {
        _side.InjectStale = true;
        var job = Job(Guid.NewGuid());
        var sink = new ITrainingSinkDecorator(new RecordingSink());
        var outcome = await Executor().RunAsync(job, JobSettings.Parse(JobKinds.Grpo, Small), sink, CancellationToken.None);

        var steps = sink.Inner.Steps;
        Assert.Equal([1, 2, 3, 4, 5, 6], steps.Select(p => p.Step));
        Assert.All(steps, p => Assert.Equal(2, Value(p, "groups")));
        // Every group trained on was sampled at most max_off_policy_steps (1) versions before the policy of its step.
        Assert.All(steps, p => Assert.InRange(Value(p, "version_lag_max"), 0, 1));
        Assert.True(_side.InjectedStale > 0);
        Assert.True(outcome.Metrics["dropped_stale"] > 0, "stale groups were dropped");
        Assert.Equal(steps.Sum(p => Value(p, "dropped_stale_step")), outcome.Metrics["dropped_stale"]);
        Assert.True(steps.Sum(p => Value(p, "zero_std_groups")) > 0, "zero-std groups were counted");
        Assert.All(steps.Where(p => Value(p, "zero_std_groups") == 2), p => Assert.Equal(1, Value(p, "skipped")));
        // Requests carried the policy version current when they were sent, which grows by one per step.
        Assert.Equal(Enumerable.Range(1, 6), sink.PublishedVersions);
        Assert.Equal(7, outcome.Version.Manifest.Version);
        Assert.Contains("val_acc_end", outcome.Metrics.Keys);
        Assert.True(File.Exists(Path.Combine(outcome.Version.Directory, Checkpoint.AdapterWeightsFile)));
        Assert.True(File.Exists(Path.Combine(outcome.Version.Directory, DeepImagine.GpuLearner.Training.TrainingCurves.FileName)));
    }

    [Fact]
    public async Task Completions_sampled_from_a_published_policy_version_match_the_learners_log_probs()
    {
        // No lag allowed: every group is sampled by the version the learner trains, so sampler and learner must agree.
        _side.SampleFrom = _store.Store;
        var hyper = new Dictionary<string, string>(Small) { ["steps"] = "3", ["max_off_policy_steps"] = "0", ["checkpoint_every"] = "3", ["learning_rate"] = "0.01" };
        var sink = new ITrainingSinkDecorator(new RecordingSink());
        await Executor().RunAsync(Job(Guid.NewGuid()) with { HyperParameters = hyper }, JobSettings.Parse(JobKinds.Grpo, hyper), sink, CancellationToken.None);
        Assert.Equal(3, sink.Inner.Steps.Count);
        Assert.All(sink.Inner.Steps, p =>
        {
            Assert.Equal(0, Value(p, "version_lag_max"));
            Assert.Equal(0, Value(p, "ratio_masked"));
            Assert.True(Value(p, "logprob_gap") < 1e-3, $"step {p.Step}: sampler/learner gap {Value(p, "logprob_gap")}");
        });
        // Something was learned at every step (so the gap was measured, and later versions really have new weights).
        Assert.All(sink.Inner.Steps, p => Assert.True(Value(p, "learned_tokens") > 0 && Value(p, "grad_norm") > 0, $"step {p.Step} learned nothing"));
    }

    [Fact]
    public async Task A_killed_job_resumes_from_its_last_checkpoint_with_its_version_counter()
    {
        var job = Job(Guid.NewGuid());
        var settings = JobSettings.Parse(JobKinds.Grpo, Small);
        var crashing = new CrashingSink(crashAtStep: 3);
        await Assert.ThrowsAsync<ProcessKilled>(() => Executor().RunAsync(job, settings, crashing, CancellationToken.None));
        // Checkpoint at step 2; the policy had reached v4 (v1 at the start, one per step) when the process died.
        var before = crashing.PublishedVersions.Max();
        Assert.Equal(4, before);
        Assert.Contains(_inbox.Rows, r => r.UsedAt == 3);

        var resumed = new ITrainingSinkDecorator(new RecordingSink());
        var outcome = await Executor().RunAsync(job, settings, resumed, CancellationToken.None);
        Assert.Equal([3, 4, 5, 6], resumed.Inner.Steps.Select(p => p.Step));
        // The counter only grows: the checkpoint's policy comes back as v5, never as a number already used.
        Assert.Equal(before + 1, resumed.PublishedVersions[0]);
        Assert.All(resumed.Inner.Steps, p => Assert.True(Value(p, "policy_version") > before));
        Assert.Equal(before + 1 + 3 + 1, outcome.Version.Manifest.Version);
        // Each group is kept once, however often it was announced; groups sampled by policies two versions behind v5 aged out.
        Assert.All(_inbox.Rows.GroupBy(r => r.Message.GroupId), g => Assert.Single(g));
        Assert.Equal(outcome.Metrics["dropped_stale"], resumed.Inner.Steps.Sum(p => Value(p, "dropped_stale_step")));
    }
}
