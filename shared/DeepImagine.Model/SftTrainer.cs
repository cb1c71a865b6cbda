using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

/// <summary>One supervised example: a conversation whose assistant turns are the targets.</summary>
public sealed record SftExample(IReadOnlyList<ChatMessage> Messages);

public sealed record SftOptions
{
    public int MaxSteps { get; init; } = 100;
    public int BatchSize { get; init; } = 8;
    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public int WarmupSteps { get; init; } = 10;
    /// <summary>The cosine decay ends at this fraction of the learning rate.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;
    public double MaxGradNorm { get; init; } = 1.0;
    public int MaxSequenceLength { get; init; } = 512;
    /// <summary>Concatenate examples into full rows instead of padding each (attention then spans example boundaries).</summary>
    public bool Packing { get; init; }
    public int EvalEvery { get; init; }
    public long Seed { get; init; }
}

/// <summary>One optimizer step: <see cref="Loss"/> is the mean over the step's learned tokens (0 with none, when the step is skipped).</summary>
public sealed record TrainingProgress(long Step, double Loss, double LearningRate, double GradNorm, double? EvalLoss, double TokensPerSecond)
{
    /// <summary>Assistant tokens the step learned from, over all its micro-batches.</summary>
    public long LearnedTokens { get; init; }
}

/// <summary>
/// Supervised fine-tuning: loss on assistant tokens only, AdamW (no decay on norms and biases), linear warm-up then cosine
/// decay, gradient clipping, accumulation weighted by tokens (the summed token losses of all micro-batches over their
/// total number of learned tokens, as transformers' num_items_in_batch), evaluation loss, and checkpoints that resume
/// (model, optimizer state, step). Each step runs in its own dispose scope, so native memory does not grow with steps.
/// </summary>
public sealed class SftTrainer : IDisposable
{
    public const string OptimizerFile = "optimizer.bin";
    public const string TrainerStateFile = "trainer_state.json";
    private const long IgnoreIndex = TokenBatches.IgnoreIndex;

    private readonly Qwen3ForCausalLM _model;
    private readonly ChatTokenizer _tokenizer;
    private readonly SftOptions _options;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly WarmupCosineSchedule _schedule;

    public long Step { get; private set; }

    public SftTrainer(Qwen3ForCausalLM model, ChatTokenizer tokenizer, SftOptions options)
    {
        _model = model;
        _tokenizer = tokenizer;
        _options = options;
        if (options.BatchSize <= 0) throw new ArgumentException($"BatchSize must be positive (got {options.BatchSize})", nameof(options));
        if (options.GradientAccumulation <= 0) throw new ArgumentException($"GradientAccumulation must be positive (got {options.GradientAccumulation})", nameof(options));
        _optimizer = OptimizerSetup.AdamW(model, options.LearningRate, options.WeightDecay);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.MinLearningRateRatio);
    }

    /// <summary>Learning rate at a step: linear warm-up to the peak, then cosine decay to the minimum at MaxSteps.</summary>
    public double LearningRateAt(long step) => _schedule.At(step);

    /// <summary>Token rows with their labels (−100 where nothing is learned).</summary>
    public IReadOnlyList<(long[] Ids, long[] Labels)> Encode(IReadOnlyList<SftExample> examples)
    {
        var rows = new List<(long[], long[])>();
        var encoded = examples.Select(e => _tokenizer.EncodeChat(e.Messages)).ToList();
        if (!_options.Packing)
        {
            foreach (var (ids, assistant) in encoded)
            {
                var n = Math.Min(ids.Count, _options.MaxSequenceLength);
                rows.Add((ids.Take(n).Select(i => (long)i).ToArray(), ids.Take(n).Select((id, i) => assistant[i] ? id : IgnoreIndex).ToArray()));
            }
            return rows;
        }
        var packedIds = new List<long>();
        var packedLabels = new List<long>();
        foreach (var (ids, assistant) in encoded)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                packedIds.Add(ids[i]);
                packedLabels.Add(assistant[i] ? ids[i] : IgnoreIndex);
                if (packedIds.Count == _options.MaxSequenceLength)
                {
                    rows.Add((packedIds.ToArray(), packedLabels.ToArray()));
                    packedIds.Clear();
                    packedLabels.Clear();
                }
            }
        }
        if (packedIds.Count > 1) rows.Add((packedIds.ToArray(), packedLabels.ToArray()));
        return rows;
    }

    /// <summary>
    /// Trains from the current step (so a resumed trainer continues) until <see cref="SftOptions.MaxSteps"/>, or until
    /// <paramref name="untilStep"/> when given (the schedule still runs to MaxSteps).
    /// </summary>
    public IReadOnlyList<TrainingProgress> Train(IReadOnlyList<SftExample> train, IReadOnlyList<SftExample>? eval = null,
        IProgress<TrainingProgress>? progress = null, long? untilStep = null, CancellationToken cancellationToken = default)
    {
        var rows = Encode(train);
        if (rows.Count == 0) throw new ArgumentException("no training rows", nameof(train));
        var evalRows = eval is null ? null : Encode(eval);
        var history = new List<TrainingProgress>();
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        _model.train();
        var last = Math.Min(untilStep ?? _options.MaxSteps, _options.MaxSteps);
        while (Step < last)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var lr = LearningRateAt(Step);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            _optimizer.zero_grad();
            var microBatches = Enumerable.Range(0, _options.GradientAccumulation)
                .Select(micro => BatchRows(rows, Step * _options.GradientAccumulation + micro)).ToList();
            var learned = TokenBatches.LearnedTokens(microBatches.SelectMany(b => b));
            double stepLoss = 0, norm = 0;
            if (learned > 0)
            {
                // Every learned token weighs the same, whichever micro-batch holds it.
                var lossSum = zeros(1, device: _model.Device);
                foreach (var batch in microBatches)
                {
                    if (TokenBatches.LearnedTokens(batch) == 0) continue;
                    var (loss, _) = LossSum(batch);
                    (loss / learned).backward();
                    lossSum += loss.detach();
                }
                stepLoss = lossSum.item<float>() / learned;
                norm = torch.nn.utils.clip_grad_norm_(_model.TrainableParameters(), _options.MaxGradNorm);
                _optimizer.step();
            }
            tokens += learned;
            Step++;
            double? evalLoss = evalRows is not null && _options.EvalEvery > 0 && Step % _options.EvalEvery == 0 ? EvaluateRows(evalRows) : null;
            var report = new TrainingProgress(Step, stepLoss, lr, norm, evalLoss, tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)) { LearnedTokens = learned };
            history.Add(report);
            progress?.Report(report);
            if (evalLoss is not null) _model.train();
        }
        return history;
    }

    /// <summary>Mean loss per learned token over the examples (batches without learned tokens add nothing; NaN if none has any).</summary>
    public double Evaluate(IReadOnlyList<SftExample> examples) => EvaluateRows(Encode(examples));

    private double EvaluateRows(IReadOnlyList<(long[] Ids, long[] Labels)> rows)
    {
        _model.eval();
        using var noGrad = no_grad();
        double total = 0;
        long count = 0;
        for (var start = 0; start < rows.Count; start += _options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = rows.Skip(start).Take(_options.BatchSize).ToList();
            if (TokenBatches.LearnedTokens(batch) == 0) continue;
            var (loss, n) = LossSum(batch);
            total += loss.item<float>();
            count += n;
        }
        return count == 0 ? double.NaN : total / count;
    }

    /// <summary>The rows of one micro-batch: a seeded shuffle per pass over the data, so a resumed run sees the same batches.</summary>
    private List<(long[] Ids, long[] Labels)> BatchRows(IReadOnlyList<(long[] Ids, long[] Labels)> rows, long microStep) =>
        TokenBatches.Shuffled(rows.Count, _options.BatchSize, _options.Seed, microStep).Select(i => rows[i]).ToList();

    /// <summary>Summed cross-entropy over the learned tokens of a right-padded batch, and how many tokens it covers.</summary>
    private (Tensor Loss, long Count) LossSum(IReadOnlyList<(long[] Ids, long[] Labels)> batch)
    {
        var (ids, keep, labels) = TokenBatches.RightPadded(batch, _tokenizer.PadId, _model.Device);
        var logits = _model.Logits(ids, keep);
        var predicted = logits[.., ..^1, ..].reshape(-1, logits.shape[^1]).to(ScalarType.Float32);
        var target = labels[.., 1..].reshape(-1);
        return (functional.cross_entropy(predicted, target, ignore_index: IgnoreIndex, reduction: Reduction.Sum), TokenBatches.LearnedTokens(batch));
    }

    /// <summary>Writes a resumable checkpoint: the model, the optimizer state and the step.</summary>
    public void Save(string directory, CheckpointMetadata? metadata = null)
    {
        Checkpoint.Save(_model, directory, (metadata ?? new CheckpointMetadata()) with { Step = Step }, tokenizer: _tokenizer);
        if (_model.Lora is not null) Checkpoint.SaveAdapter(_model, Path.Combine(directory, "adapter"));
        _optimizer.save_state_dict(Path.Combine(directory, OptimizerFile));
        File.WriteAllText(Path.Combine(directory, TrainerStateFile), JsonSerializer.Serialize(new { step = Step, options = _options }));
    }

    /// <summary>Continues from a checkpoint written by <see cref="Save"/> (model already loaded from it).</summary>
    public void Resume(string directory)
    {
        _optimizer.load_state_dict(Path.Combine(directory, OptimizerFile));
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, TrainerStateFile)));
        Step = state.RootElement.GetProperty("step").GetInt64();
    }

    public void Dispose() => _optimizer.Dispose();
}
