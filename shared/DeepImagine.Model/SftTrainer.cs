using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

/// <summary>
/// One supervised example: a conversation whose assistant turns are the targets; <see cref="Emphasis"/> weighs spans of
/// the last answer more (or less) in the loss, e.g. the one token that decides an answer among many formatting tokens.
/// </summary>
public sealed record SftExample(IReadOnlyList<ChatMessage> Messages)
{
    public IReadOnlyList<TokenEmphasis> Emphasis { get; init; } = [];
}

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
    public IReadOnlyList<(long[] Ids, long[] Labels)> Encode(IReadOnlyList<SftExample> examples) =>
        EncodeRows(examples).Select(r => (r.Ids, r.Labels)).ToList();

    /// <summary>The loss weight of each token of each row (1 unless an example's emphasis says otherwise).</summary>
    public IReadOnlyList<float[]> EncodeWeights(IReadOnlyList<SftExample> examples) => EncodeRows(examples).Select(r => r.Weights).ToList();

    private sealed record Row(long[] Ids, long[] Labels, float[] Weights);

    private List<Row> EncodeRows(IReadOnlyList<SftExample> examples)
    {
        var rows = new List<Row>();
        var encoded = examples.Select(e => _tokenizer.EncodeChat(e.Messages, e.Emphasis)).ToList();
        if (!_options.Packing)
        {
            foreach (var (ids, assistant, weights) in encoded)
            {
                var n = Math.Min(ids.Count, _options.MaxSequenceLength);
                rows.Add(new Row(ids.Take(n).Select(i => (long)i).ToArray(), ids.Take(n).Select((id, i) => assistant[i] ? id : IgnoreIndex).ToArray(),
                    weights.Take(n).Select(w => (float)w).ToArray()));
            }
            return rows;
        }
        var packedIds = new List<long>();
        var packedLabels = new List<long>();
        var packedWeights = new List<float>();
        foreach (var (ids, assistant, weights) in encoded)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                packedIds.Add(ids[i]);
                packedLabels.Add(assistant[i] ? ids[i] : IgnoreIndex);
                packedWeights.Add((float)weights[i]);
                if (packedIds.Count == _options.MaxSequenceLength)
                {
                    rows.Add(new Row(packedIds.ToArray(), packedLabels.ToArray(), packedWeights.ToArray()));
                    packedIds.Clear();
                    packedLabels.Clear();
                    packedWeights.Clear();
                }
            }
        }
        if (packedIds.Count > 1) rows.Add(new Row(packedIds.ToArray(), packedLabels.ToArray(), packedWeights.ToArray()));
        return rows;
    }

    /// <summary>
    /// Trains from the current step (so a resumed trainer continues) until <see cref="SftOptions.MaxSteps"/>, or until
    /// <paramref name="untilStep"/> when given (the schedule still runs to MaxSteps).
    /// </summary>
    public IReadOnlyList<TrainingProgress> Train(IReadOnlyList<SftExample> train, IReadOnlyList<SftExample>? eval = null,
        IProgress<TrainingProgress>? progress = null, long? untilStep = null, CancellationToken cancellationToken = default)
    {
        var rows = EncodeRows(train);
        if (rows.Count == 0) throw new ArgumentException("no training rows", nameof(train));
        var evalRows = eval is null ? null : EncodeRows(eval);
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
            var learned = TokenBatches.LearnedTokens(microBatches.SelectMany(b => b).Select(r => (r.Ids, r.Labels)));
            double stepLoss = 0, norm = 0;
            if (learned > 0)
            {
                // Every learned token weighs the same, whichever micro-batch holds it.
                var lossSum = zeros(1, device: _model.Device);
                foreach (var batch in microBatches)
                {
                    if (TokenBatches.LearnedTokens(batch.Select(r => (r.Ids, r.Labels))) == 0) continue;
                    var (loss, _) = LossSum(batch, weighted: true);
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
    public double Evaluate(IReadOnlyList<SftExample> examples) => EvaluateRows(EncodeRows(examples));

    /// <summary>Unweighted, whatever the emphasis: a validation loss stays comparable across settings.</summary>
    private double EvaluateRows(IReadOnlyList<Row> rows)
    {
        _model.eval();
        using var noGrad = no_grad();
        double total = 0;
        long count = 0;
        for (var start = 0; start < rows.Count; start += _options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = rows.Skip(start).Take(_options.BatchSize).ToList();
            if (TokenBatches.LearnedTokens(batch.Select(r => (r.Ids, r.Labels))) == 0) continue;
            var (loss, n) = LossSum(batch, weighted: false);
            total += loss.item<float>();
            count += n;
        }
        return count == 0 ? double.NaN : total / count;
    }

    /// <summary>The rows of one micro-batch: a seeded shuffle per pass over the data, so a resumed run sees the same batches.</summary>
    private List<Row> BatchRows(IReadOnlyList<Row> rows, long microStep) =>
        TokenBatches.Shuffled(rows.Count, _options.BatchSize, _options.Seed, microStep).Select(i => rows[i]).ToList();

    /// <summary>
    /// Summed cross-entropy over the learned tokens of a right-padded batch (each token's times its weight when
    /// <paramref name="weighted"/>), and how many tokens it covers.
    /// </summary>
    private (Tensor Loss, long Count) LossSum(IReadOnlyList<Row> batch, bool weighted)
    {
        var plain = batch.Select(r => (r.Ids, r.Labels)).ToList();
        var (ids, keep, labels) = TokenBatches.RightPadded(plain, _tokenizer.PadId, _model.Device);
        var logits = _model.Logits(ids, keep);
        var predicted = logits[.., ..^1, ..].reshape(-1, logits.shape[^1]).to(ScalarType.Float32);
        var target = labels[.., 1..].reshape(-1);
        var count = TokenBatches.LearnedTokens(plain);
        if (!weighted || batch.All(r => r.Weights.All(w => w == 1f)))
            return (functional.cross_entropy(predicted, target, ignore_index: IgnoreIndex, reduction: Reduction.Sum), count);
        // Ignored positions give 0 loss under reduction None, so only learned tokens contribute, each times its weight.
        var width = batch.Max(r => r.Ids.Length);
        var weights = new float[batch.Count, width];
        for (var b = 0; b < batch.Count; b++)
            for (var t = 0; t < batch[b].Weights.Length; t++) weights[b, t] = batch[b].Weights[t];
        var perToken = functional.cross_entropy(predicted, target, ignore_index: IgnoreIndex, reduction: Reduction.None);
        var weightOfTarget = tensor(weights, device: _model.Device)[.., 1..].reshape(-1);
        return ((perToken * weightOfTarget).sum(), count);
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
