using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using DeepImagine.Model;
using DeepImagine.Model.Grpo;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>
/// A grpo job: the policy (a LoRA adapter on the base) is published to the model store as a version; rollouts of the
/// train-split prompts are requested from rollout-generator with that version; scored groups arrive through the inbox
/// (reward-verifier's <c>RewardsVerified</c>), their tokens are read from rollout-generator, groups more than
/// <c>max_off_policy_steps</c> versions old are dropped and counted, and each step trains on <c>prompts_per_step</c>
/// groups. A new policy version every <c>publish_every</c> steps; a resumable checkpoint every <c>checkpoint_every</c>
/// (adapter, optimizer, step, version counter). Validation: greedy answers on validation prompts before and after.
/// </summary>
public sealed class GrpoExecutor(ModelStore store, IDatasetSource datasets, IRolloutSource rollouts, IRewardInbox inbox, IBus bus,
    LearnerOptions options, ILogger<GrpoExecutor> logger)
{
    public const string StateFile = "grpo_job.json";
    private const string Train = JobValidator.Train;
    private const string Validation = JobValidator.Validation;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>What a resumed job continues with: its step, the policy version counter, the batch counter (group ids are never reused) and what it counted.</summary>
    private sealed record JobState(int Step, int PolicyVersion, long NextBatch, long DroppedStale, double? ValRewardStart, double? ValAccStart);

    public static string DefaultModelName(JobRecord job) => $"{job.BaseModel}-grpo-{job.JobId.ToString("N")[..8]}";

    public async Task<TrainingOutcome> RunAsync(JobRecord job, JobSettings settings, ITrainingSink sink, CancellationToken cancellationToken)
    {
        var workspace = store.JobDirectory(job.JobId);
        var checkpoint = Path.Combine(workspace, TrainingExecutor.CheckpointDirectory);
        var modelName = settings.ModelName ?? DefaultModelName(job);
        var datasetId = job.DatasetId!.Value;
        var trainPrompts = await datasets.PromptsAsync(datasetId, Train, cancellationToken);
        var validationPrompts = (await datasets.PromptsAsync(datasetId, Validation, cancellationToken)).OrderBy(p => p.PromptId).Take(settings.EvalExamples).ToList();
        if (trainPrompts.Count == 0) throw new JobValidationException("datasetId", $"dataset {datasetId} has no verifiable train prompts");
        if (validationPrompts.Count == 0) throw new JobValidationException("datasetId", $"dataset {datasetId} has no verifiable validation prompts");

        var (root, startAdapter) = ResolveBase(job);
        var tokenizer = ChatTokenizer.Load(root.Directory);
        using var model = Checkpoint.Load(root.Directory, TorchDevice.Default);
        var resuming = TrainingExecutor.IsComplete(checkpoint);
        if (resuming) Checkpoint.LoadAdapter(model, Path.Combine(checkpoint, GrpoTrainer.AdapterDirectory));
        else if (startAdapter is not null) Checkpoint.LoadAdapter(model, startAdapter.Directory);
        else
        {
            TorchSharp.torch.random.manual_seed(settings.Seed);
            model.AddLora(new LoraSettings(settings.LoraRank, settings.LoraAlpha));
        }
        using var trainer = new GrpoTrainer(model, tokenizer.PadId, Options(settings));
        JobState state;
        if (resuming)
        {
            trainer.Resume(checkpoint);
            state = JsonSerializer.Deserialize<JobState>(File.ReadAllText(Path.Combine(checkpoint, StateFile)), Json)!;
            // Steps after the checkpoint are redone: the groups they used are available again.
            await inbox.ReleaseAfterAsync(job.JobId, state.Step, cancellationToken);
            logger.LogInformation("grpo job {JobId} resumes at step {Step}, policy v{Version}", job.JobId, state.Step, state.PolicyVersion);
        }
        else
        {
            var (reward, accuracy) = Validate(model, tokenizer, validationPrompts, settings);
            state = new JobState(0, 0, 0, 0, reward, accuracy);
            logger.LogInformation("grpo job {JobId}: val_reward={Reward:F3} val_acc={Accuracy:F3} before training", job.JobId, reward, accuracy);
        }

        // The policy rollouts sample from. A resumed job publishes its checkpoint's policy as a new version, so the
        // version counter only grows and groups sampled from weights the restart threw away age out as stale.
        var publishClock = Stopwatch.StartNew();
        var policy = PublishPolicy(job, modelName, root, model, tokenizer, (int)trainer.Step, new Dictionary<string, double>());
        await sink.VersionPublishedAsync(policy, cancellationToken);
        var publishSeconds = publishClock.Elapsed.TotalSeconds;
        state = state with { PolicyVersion = policy.Manifest.Version };

        var inFlight = new HashSet<Guid>();
        var pending = new List<JobMetricPoint>();
        var runClock = Stopwatch.StartNew();
        var startStep = (int)trainer.Step;
        var stepClock = Stopwatch.StartNew();
        try
        {
            while (trainer.Step < settings.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stepClock.Restart();
                var waitClock = Stopwatch.StartNew();
                var (chosen, dropped, nextBatch) = await GatherAsync(job, settings, trainPrompts, modelName, state, inFlight, cancellationToken);
                var waitSeconds = waitClock.Elapsed.TotalSeconds;
                state = state with { NextBatch = nextBatch, DroppedStale = state.DroppedStale + dropped };
                var groups = await ReadGroupsAsync(chosen, cancellationToken);

                var trainClock = Stopwatch.StartNew();
                var stats = trainer.Train(groups);
                var trainSeconds = trainClock.Elapsed.TotalSeconds;
                await inbox.MarkUsedAsync(job.JobId, chosen.Select(c => c.GroupId).ToList(), (int)stats.Step, cancellationToken);
                var lags = chosen.Select(c => state.PolicyVersion - c.PolicyVersion).ToList();
                var generated = groups.Sum(g => g.Completions.Sum(c => c.Tokens.Count));

                var values = new Dictionary<string, double>(stats.ToMetrics())
                {
                    ["policy_version"] = state.PolicyVersion,
                    ["version_lag_mean"] = lags.Average(),
                    ["version_lag_max"] = lags.Max(),
                    ["dropped_stale"] = state.DroppedStale,
                    ["dropped_stale_step"] = dropped,
                    ["wait_rollout_s"] = waitSeconds,
                    ["train_s"] = trainSeconds,
                    ["publish_policy_s"] = publishSeconds,
                };
                publishSeconds = 0;
                if (stats.Step % settings.PublishEvery == 0 && stats.Step < settings.Steps)
                {
                    publishClock.Restart();
                    policy = PublishPolicy(job, modelName, root, model, tokenizer, (int)stats.Step, new Dictionary<string, double> { ["reward_mean"] = stats.RewardMean });
                    await sink.VersionPublishedAsync(policy, cancellationToken);
                    state = state with { PolicyVersion = policy.Manifest.Version };
                    publishSeconds = publishClock.Elapsed.TotalSeconds;
                }
                var stepSeconds = stepClock.Elapsed.TotalSeconds;
                values["step_s"] = stepSeconds;
                values["rollout_tps"] = generated / Math.Max(stepSeconds, 1e-9);
                values["wait_rollout_share"] = waitSeconds / Math.Max(stepSeconds, 1e-9);
                var point = new JobMetricPoint((int)stats.Step, stats.Loss, stats.LearningRate, stats.TokensPerSecond, null, null, null) { Values = values };
                pending.Add(point);
                var done = (int)stats.Step - startStep;
                sink.Step(point, settings.Steps, runClock.Elapsed.TotalSeconds / Math.Max(done, 1) * (settings.Steps - (int)stats.Step));
                state = state with { Step = (int)stats.Step };
                if (stats.Step % settings.CheckpointEvery == 0 || stats.Step == settings.Steps)
                    await SaveAsync(trainer, checkpoint, state, sink, pending, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Keep the steps done: a cancelled job keeps its last checkpoint, a stopped one resumes from it.
            if (pending.Count > 0) await SaveAsync(trainer, checkpoint, state, sink, pending, CancellationToken.None);
            throw;
        }

        var (rewardEnd, accuracyEnd) = Validate(model, tokenizer, validationPrompts, settings);
        logger.LogInformation("grpo job {JobId}: val_reward {Start:F3} → {End:F3}, val_acc {AccStart:F3} → {AccEnd:F3}, dropped_stale {Dropped}",
            job.JobId, state.ValRewardStart, rewardEnd, state.ValAccStart, accuracyEnd, state.DroppedStale);
        var metrics = new Dictionary<string, double>
        {
            ["steps"] = settings.Steps,
            ["dropped_stale"] = state.DroppedStale,
            ["val_prompts"] = validationPrompts.Count,
        };
        // Absent (not NaN) when no validation prompt is scorable: JSON has no NaN, and the CLI then prints "na".
        if (state.ValRewardStart is { } rs) metrics["val_reward_start"] = rs;
        if (rewardEnd is { } re) metrics["val_reward_end"] = re;
        if (state.ValAccStart is { } accs) metrics["val_acc_start"] = accs;
        if (accuracyEnd is { } acce) metrics["val_acc_end"] = acce;
        // The last step's row carries the validation before and after, for the curves and GET /api/jobs/{id}/metrics.
        var history = await sink.HistoryAsync(cancellationToken);
        if (history.LastOrDefault() is { } lastPoint)
        {
            var values = new Dictionary<string, double>(lastPoint.Values ?? new Dictionary<string, double>());
            foreach (var name in new[] { "val_reward_start", "val_reward_end", "val_acc_start", "val_acc_end" })
                if (metrics.TryGetValue(name, out var v)) values[name] = v;
            await sink.CheckpointedAsync(lastPoint.Step, [lastPoint with { ValDirectionAccuracy = accuracyEnd, Values = values }], cancellationToken);
            history = await sink.HistoryAsync(cancellationToken);
        }
        if (history.LastOrDefault()?.Values is { } last)
        {
            foreach (var name in new[] { "reward_mean", "loss" }) if (last.TryGetValue(name, out var v)) metrics["train_" + name] = v;
        }
        var final = PublishPolicy(job, modelName, root, model, tokenizer, settings.Steps, metrics, history);
        return new TrainingOutcome(final, metrics);
    }

    /// <summary>The base model the policy's adapter sits on, and the sft adapter to start from when the job names one.</summary>
    private (StoredVersion Root, StoredVersion? StartAdapter) ResolveBase(JobRecord job)
    {
        var start = store.Find(job.BaseModel!, job.BaseVersion)
            ?? throw new JobValidationException("baseModel", $"model '{job.BaseModel}' v{job.BaseVersion} is no longer in the store");
        if (start.Manifest.Kind == ModelStore.BaseKind) return (start, null);
        var root = store.Find(start.Manifest.ParentModel!, start.Manifest.ParentVersion)
            ?? throw new JobValidationException("baseModel", $"the base '{start.Manifest.ParentModel}' v{start.Manifest.ParentVersion} of '{job.BaseModel}' is no longer in the store");
        return (root, start);
    }

    private static GrpoOptions Options(JobSettings settings) => new()
    {
        LearningRate = settings.LearningRate,
        WarmupSteps = settings.WarmupSteps,
        MaxSteps = settings.Steps,
        EpsilonLow = settings.EpsilonLow,
        EpsilonHigh = settings.EpsilonHigh,
        Beta = settings.Beta,
        Loss = GrpoNames.Loss(settings.LossType),
        ScaleRewards = GrpoNames.Scaling(settings.ScaleRewards),
        RatioMaskBound = settings.RatioMaskBound,
        MaxCompletionLength = settings.MaxNewTokens,
    };

    /// <summary>
    /// Waits until <c>prompts_per_step</c> fresh groups are in the inbox, dropping (and counting) stale ones and keeping
    /// enough requests in flight: one step's worth, plus one per allowed step of lag (rollouts then overlap training).
    /// </summary>
    private async Task<(IReadOnlyList<RewardsVerified> Chosen, int Dropped, long NextBatch)> GatherAsync(JobRecord job, JobSettings settings,
        IReadOnlyList<VerifiablePromptRecord> prompts, string modelName, JobState state, HashSet<Guid> inFlight, CancellationToken cancellationToken)
    {
        var dropped = 0;
        var nextBatch = state.NextBatch;
        var clock = Stopwatch.StartNew();
        var wanted = settings.PromptsPerStep * (1 + Math.Min(settings.MaxOffPolicySteps, 1));
        while (true)
        {
            var available = await inbox.PendingAsync(job.JobId, cancellationToken);
            inFlight.ExceptWith(available.Select(a => a.GroupId));
            var stale = available.Where(a => state.PolicyVersion - a.PolicyVersion > settings.MaxOffPolicySteps).ToList();
            if (stale.Count > 0)
            {
                await inbox.MarkUsedAsync(job.JobId, stale.Select(s => s.GroupId).ToList(), state.Step + 1, cancellationToken);
                dropped += stale.Count;
            }
            var fresh = available.Except(stale).ToList();
            while (fresh.Count + inFlight.Count < wanted)
            {
                var request = Request(job, settings, prompts, modelName, state.PolicyVersion, nextBatch++);
                await bus.Publish(request, cancellationToken);
                inFlight.UnionWith(request.Prompts.Select(p => p.GroupId));
            }
            if (fresh.Count >= settings.PromptsPerStep) return (fresh.Take(settings.PromptsPerStep).ToList(), dropped, nextBatch);
            if (clock.Elapsed.TotalSeconds > options.RolloutTimeoutSeconds)
                throw new TimeoutException($"grpo job {job.JobId}: {fresh.Count} of {settings.PromptsPerStep} scored groups after {options.RolloutTimeoutSeconds} s; are rollout-generator and reward-verifier running?");
            await Task.Delay(TimeSpan.FromSeconds(options.RewardPollSeconds), cancellationToken);
        }
    }

    /// <summary>A batch of rollout requests; group ids derive from job and batch number, so a repeated request is the same work.</summary>
    public static RolloutsRequested Request(JobRecord job, JobSettings settings, IReadOnlyList<VerifiablePromptRecord> prompts, string modelName, int policyVersion, long batch)
    {
        var chosen = TokenBatches.Shuffled(prompts.Count, Math.Min(settings.PromptsPerStep, prompts.Count), settings.Seed, batch);
        var rolloutPrompts = chosen.Select((index, i) => new RolloutPrompt(StableId($"{job.JobId}/{batch}/{i}"), prompts[index].PromptId, prompts[index].System, prompts[index].Prompt)).ToList();
        while (rolloutPrompts.Count < settings.PromptsPerStep)
        {
            // Fewer prompts than a step needs: the same prompts again, as further groups.
            var i = rolloutPrompts.Count;
            var again = prompts[i % prompts.Count];
            rolloutPrompts.Add(new RolloutPrompt(StableId($"{job.JobId}/{batch}/{i}"), again.PromptId, again.System, again.Prompt));
        }
        return new RolloutsRequested(job.JobId, StableId($"{job.JobId}/{batch}"), modelName, policyVersion, settings.GroupSize,
            new SamplingSettings(settings.MaxNewTokens, settings.Temperature, 1.0, 0, (int)((settings.Seed * 1_000_003 + batch) % int.MaxValue)),
            rolloutPrompts, DateTimeOffset.UtcNow);
    }

    private static Guid StableId(string text) => new(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));

    /// <summary>Each group's tokens and sampler log-probs from rollout-generator, with the verifier's rewards by completion index.</summary>
    private async Task<IReadOnlyList<GrpoGroup>> ReadGroupsAsync(IReadOnlyList<RewardsVerified> chosen, CancellationToken cancellationToken)
    {
        var views = await Task.WhenAll(chosen.Select(c => rollouts.GroupAsync(c.GroupId, cancellationToken)));
        var groups = new List<GrpoGroup>(chosen.Count);
        for (var i = 0; i < chosen.Count; i++)
        {
            var view = views[i] ?? throw new InvalidOperationException($"rollout-generator has no group {chosen[i].GroupId} (scored by reward-verifier)");
            var rewards = chosen[i].Rewards.ToDictionary(r => r.Index);
            groups.Add(new GrpoGroup(view.PromptTokenIds, view.Completions.Select(c => new GrpoCompletion(c.TokenIds, c.LogProbs, c.FinishReason == "length",
                rewards.TryGetValue(c.Index, out var r) ? r.Reward : null)).ToList()));
        }
        return groups;
    }

    /// <summary>Mean reward and accuracy (direction or option) of greedy answers on the validation prompts, each over the prompts whose gold knows it.</summary>
    private static (double? Reward, double? Accuracy) Validate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<VerifiablePromptRecord> prompts, JobSettings settings)
    {
        var answers = new List<ValidationAnswer>();
        foreach (var chunk in prompts.Chunk(8))
        {
            var encoded = chunk.Select(p => InProcessRollouts.PromptTokens(tokenizer, ValidationScoring.Messages(p))).ToList();
            var results = TextGenerator.Generate(model, tokenizer, encoded, new GenerationOptions { MaxNewTokens = settings.MaxNewTokens });
            answers.AddRange(chunk.Zip(results, (p, r) => ValidationScoring.Score(p, r.Text)));
        }
        var rewarded = answers.Where(a => a.Reward is not null).ToList();
        var decided = answers.Where(a => a.Correct is not null).ToList();
        return (rewarded.Count == 0 ? null : rewarded.Average(a => a.Reward!.Value), decided.Count == 0 ? null : decided.Average(a => a.Correct == true ? 1.0 : 0.0));
    }

    private StoredVersion PublishPolicy(JobRecord job, string modelName, StoredVersion root, Qwen3ForCausalLM model, ChatTokenizer tokenizer, int step,
        IReadOnlyDictionary<string, double> metrics, IReadOnlyList<JobMetricPoint>? history = null)
    {
        var staging = store.NewStagingDirectory(modelName);
        Checkpoint.SaveAdapter(model, staging);
        tokenizer.Save(staging);
        File.WriteAllText(Path.Combine(staging, TrainingExecutor.MetricsFile), JsonSerializer.Serialize(new
        {
            jobId = job.JobId, kind = job.Kind, datasetId = job.DatasetId, baseModel = root.Manifest.Name, baseVersion = root.Manifest.Version,
            startedFrom = $"{job.BaseModel}:v{job.BaseVersion}", step, hyperParameters = job.HyperParameters, final = metrics, steps = history,
        }, Json));
        if (history is not null) TrainingCurves.Save(history, $"grpo {modelName} (job {job.JobId.ToString()[..8]})", Path.Combine(staging, TrainingCurves.FileName));
        var version = store.Publish(modelName, staging, new VersionDescription(ModelStore.LoraKind, root.Manifest.Name, root.Manifest.Version, job.JobId,
            new Dictionary<string, double>(metrics) { ["step"] = step }));
        logger.LogInformation("grpo job {JobId} published policy {Model} v{Version} at step {Step}", job.JobId, modelName, version.Manifest.Version, step);
        return version;
    }

    private static async Task SaveAsync(GrpoTrainer trainer, string checkpoint, JobState state, ITrainingSink sink, List<JobMetricPoint> pending, CancellationToken cancellationToken)
    {
        var next = checkpoint + ".next";
        var old = checkpoint + ".old";
        if (Directory.Exists(next)) Directory.Delete(next, recursive: true);
        trainer.Save(next);
        File.WriteAllText(Path.Combine(next, StateFile), JsonSerializer.Serialize(state with { Step = (int)trainer.Step }, Json));
        // As the sft runner: metrics first, then the swap by renames (a kill between them only repeats steps).
        await sink.CheckpointedAsync((int)trainer.Step, pending.ToList(), cancellationToken);
        pending.Clear();
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(checkpoint)) Directory.Move(checkpoint, old);
        Directory.Move(next, checkpoint);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }
}
