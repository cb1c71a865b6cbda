using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Grpo;

/// <summary>
/// GRPO updates of a policy from scored groups of its own samples: group-relative advantages, the clipped surrogate
/// against the sampler's log-probs (old policy), an optional k3 KL to the reference (the base with adapters disabled),
/// a sequence-level importance-ratio mask and masking of truncated completions. Groups whose rewards are all equal are
/// counted and skipped. One optimizer step per call, micro-batched with the loss normalised over the whole step; each
/// micro-batch runs in its own dispose scope.
/// </summary>
public sealed class GrpoTrainer : IDisposable
{
    public const string OptimizerFile = "optimizer.bin";
    public const string TrainerStateFile = "grpo_state.json";
    public const string AdapterDirectory = "adapter";

    private readonly Qwen3ForCausalLM _model;
    private readonly int _padId;
    private readonly GrpoOptions _options;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly WarmupCosineSchedule _schedule;

    public long Step { get; private set; }

    public GrpoTrainer(Qwen3ForCausalLM model, int padId, GrpoOptions options)
    {
        options.Validate();
        if (options.Beta > 0 && model.Lora is null)
            throw new ArgumentException("β > 0 needs a reference policy: train LoRA adapters, so the base with adapters disabled is the reference", nameof(options));
        _model = model;
        _padId = padId;
        _options = options;
        _optimizer = OptimizerSetup.AdamW(model, options.LearningRate, options.WeightDecay);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.MinLearningRateRatio);
    }

    public GrpoOptions Options => _options;

    public GrpoStepStats Train(IReadOnlyList<GrpoGroup> groups)
    {
        Check(groups);
        var clock = Stopwatch.StartNew();
        var lr = _schedule.At(Step);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;

        var completions = groups.SelectMany(g => g.Completions).ToList();
        var rewards = completions.Select(c => c.Reward).OfType<double>().ToList();
        var advantages = GroupAdvantages.Compute(groups.Select(g => (IReadOnlyList<double?>)g.Completions.Select(c => c.Reward).ToList()).ToList(),
            _options.ScaleRewards, _options.AdvantageEpsilon);
        var rows = new List<Row>();
        for (var g = 0; g < groups.Count; g++)
        {
            if (advantages.ZeroStd[g]) continue;
            for (var c = 0; c < groups[g].Completions.Count; c++)
            {
                var completion = groups[g].Completions[c];
                if (completion.Tokens.Count > 0) rows.Add(new Row(groups[g].PromptTokens, completion, advantages.Advantages[g][c]));
            }
        }
        var learnable = rows.Where(r => !(r.Completion.Truncated && _options.MaskTruncated)).ToList();
        var normalizer = new LossNormalizer(learnable.Sum(r => r.Completion.Tokens.Count), rows.Count,
            _options.MaxCompletionLength > 0 ? _options.MaxCompletionLength : rows.Select(r => r.Completion.Tokens.Count).DefaultIfEmpty(1).Max());

        double loss = 0, norm = 0, clippedLow = 0, clippedHigh = 0, klSum = 0, learned = 0, entropySum = 0, gapSum = 0;
        var ratioMasked = 0;
        if (learnable.Count > 0)
        {
            _model.train();
            _optimizer.zero_grad();
            for (var start = 0; start < rows.Count; start += _options.MicroBatchSize)
            {
                var micro = rows.Skip(start).Take(_options.MicroBatchSize).ToList();
                var pass = Pass(micro, normalizer);
                loss += pass.Loss;
                clippedLow += pass.ClippedLow;
                clippedHigh += pass.ClippedHigh;
                klSum += pass.KlSum;
                learned += pass.Tokens;
                entropySum += pass.EntropySum;
                gapSum += pass.GapSum;
                ratioMasked += pass.RatioMasked;
            }
            if (learned > 0)
            {
                norm = nn.utils.clip_grad_norm_(_model.TrainableParameters(), _options.MaxGradNorm);
                _optimizer.step();
            }
        }
        Step++;
        var lengths = completions.Select(c => c.Tokens.Count).ToList();
        return new GrpoStepStats(
            Step, loss, lr, norm,
            RewardMean: rewards.Count == 0 ? 0 : rewards.Average(),
            RewardStd: GroupAdvantages.SampleStd(rewards),
            Groups: groups.Count,
            ZeroStdGroups: advantages.ZeroStd.Count(z => z),
            Completions: completions.Count,
            CompletionLengthMean: lengths.Count == 0 ? 0 : lengths.Average(),
            CompletionLengthMax: lengths.DefaultIfEmpty(0).Max(),
            TruncationRate: completions.Count == 0 ? 0 : (double)completions.Count(c => c.Truncated) / completions.Count,
            Entropy: learned > 0 ? entropySum / learned : 0,
            ClipLowFraction: learned > 0 ? clippedLow / learned : 0,
            ClipHighFraction: learned > 0 ? clippedHigh / learned : 0,
            LogProbGap: rows.Count > 0 ? gapSum / rows.Count : 0,
            RatioMasked: ratioMasked,
            Kl: _options.Beta > 0 && learned > 0 ? klSum / learned : null,
            LearnedTokens: (long)learned,
            TokensPerSecond: rows.Sum(r => r.Completion.Tokens.Count) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            Skipped: learned == 0);
    }

    private sealed record Row(IReadOnlyList<int> Prompt, GrpoCompletion Completion, double Advantage);

    private sealed record PassResult(double Loss, double ClippedLow, double ClippedHigh, double KlSum, double Tokens, double EntropySum, double GapSum, int RatioMasked);

    /// <summary>Forward and backward of one micro-batch; its loss is already its share of the step's.</summary>
    private PassResult Pass(IReadOnlyList<Row> rows, LossNormalizer normalizer)
    {
        using var scope = NewDisposeScope();
        var device = _model.Device;
        var prompts = rows.Select(r => r.Prompt).ToList();
        var completions = rows.Select(r => r.Completion.Tokens).ToList();
        var scores = TokenLogProbs.Score(_model, prompts, completions, _padId, withEntropy: true);
        var width = completions.Max(c => c.Count);
        var old = new float[rows.Count, width];
        for (var b = 0; b < rows.Count; b++)
        {
            for (var t = 0; t < rows[b].Completion.SamplerLogProbs.Count; t++) old[b, t] = rows[b].Completion.SamplerLogProbs[t];
        }
        var oldLogProbs = tensor(old, device: device);
        var real = scores.Mask.to(ScalarType.Float32);
        var gap = GrpoLoss.SequenceGap(scores.LogProbs, oldLogProbs, real);
        var gapHost = gap.cpu().data<float>().ToArray();
        var keep = new float[rows.Count];
        var ratioMasked = 0;
        for (var b = 0; b < rows.Count; b++)
        {
            var trusted = gapHost[b] <= _options.RatioMaskBound;
            if (!trusted) ratioMasked++;
            keep[b] = trusted && !(rows[b].Completion.Truncated && _options.MaskTruncated) ? 1 : 0;
        }
        var mask = real * tensor(keep, device: device).unsqueeze(1);
        Tensor? reference = null;
        if (_options.Beta > 0)
        {
            using var noGrad = no_grad();
            using var baseOnly = _model.AdaptersDisabled();
            reference = TokenLogProbs.Score(_model, prompts, completions, _padId, withEntropy: false).LogProbs;
        }
        var advantages = tensor(rows.Select(r => (float)r.Advantage).ToArray(), device: device);
        var terms = GrpoLoss.Compute(scores.LogProbs, oldLogProbs, reference, mask, advantages, _options, normalizer);
        if (terms.Tokens > 0) terms.Loss.backward();
        var entropySum = (scores.Entropy! * mask).sum().item<float>();
        return new PassResult(terms.Loss.item<float>(), terms.ClippedLow, terms.ClippedHigh, terms.KlSum, terms.Tokens, entropySum, gapHost.Sum(), ratioMasked);
    }

    private static void Check(IReadOnlyList<GrpoGroup> groups)
    {
        for (var g = 0; g < groups.Count; g++)
        {
            if (groups[g].PromptTokens.Count == 0) throw new ArgumentException($"group {g}: the prompt has no tokens", nameof(groups));
            for (var c = 0; c < groups[g].Completions.Count; c++)
            {
                var completion = groups[g].Completions[c];
                if (completion.Tokens.Count != completion.SamplerLogProbs.Count)
                    throw new ArgumentException($"group {g} completion {c}: {completion.Tokens.Count} tokens but {completion.SamplerLogProbs.Count} sampler log-probs", nameof(groups));
                if (completion.Reward is { } r && !double.IsFinite(r))
                    throw new ArgumentException($"group {g} completion {c}: reward {r} is not a finite number", nameof(groups));
            }
        }
    }

    /// <summary>Writes what a resumed trainer needs: the trained weights (the adapter with LoRA), the optimizer state and the step.</summary>
    public void Save(string directory, ChatTokenizer? tokenizer = null)
    {
        Directory.CreateDirectory(directory);
        if (_model.Lora is not null) Checkpoint.SaveAdapter(_model, Path.Combine(directory, AdapterDirectory));
        else Checkpoint.Save(_model, directory, new CheckpointMetadata { Step = Step, Note = "grpo working checkpoint" }, tokenizer: tokenizer);
        _optimizer.save_state_dict(Path.Combine(directory, OptimizerFile));
        // Written last: its presence marks a complete checkpoint.
        File.WriteAllText(Path.Combine(directory, TrainerStateFile), JsonSerializer.Serialize(new { step = Step }));
    }

    /// <summary>Continues from <see cref="Save"/>'s directory (the weights already loaded into the model).</summary>
    public void Resume(string directory)
    {
        _optimizer.load_state_dict(Path.Combine(directory, OptimizerFile));
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, TrainerStateFile)));
        Step = state.RootElement.GetProperty("step").GetInt64();
    }

    public void Dispose() => _optimizer.Dispose();
}
