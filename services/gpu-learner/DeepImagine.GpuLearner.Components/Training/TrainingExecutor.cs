using System.Diagnostics;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Grpo;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.Model;
using Microsoft.Extensions.Logging;

namespace DeepImagine.GpuLearner.Training;

/// <summary>What the runner hears from a training run: every step, and every saved checkpoint with the steps before it.</summary>
public interface ITrainingSink
{
    /// <summary>After each optimizer step (called often: implementations throttle what they publish).</summary>
    void Step(JobMetricPoint point, int totalSteps, double? etaSeconds);

    /// <summary>As each checkpoint is written, before it replaces the previous one: the metrics of the steps it covers.</summary>
    Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken);

    /// <summary>Every metric recorded so far for the job (earlier runs included), for the curves.</summary>
    Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken);

    /// <summary>A version published before the job ends (a grpo job's policy versions); the final one comes with the outcome.</summary>
    Task VersionPublishedAsync(StoredVersion version, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A finished run: the published version and its final metrics.</summary>
public sealed record TrainingOutcome(StoredVersion Version, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Runs one job in process: loads data and model, trains in chunks between checkpoints (resuming from the job's last
/// checkpoint with the same batches), evaluates every <c>eval_every</c> steps, and publishes the result to the model
/// store. Checkpoints live in the job's directory of the store, written beside the old one and swapped in, so a kill
/// at any moment leaves one complete checkpoint.
/// </summary>
public sealed class TrainingExecutor(ModelStore store, IDatasetSource datasets, ILogger<TrainingExecutor> logger, GrpoExecutor? grpo = null)
{
    internal const string CheckpointDirectory = "checkpoint";
    private const string TokenizerDirectory = "tokenizer";
    public const string MetricsFile = "metrics.json";
    /// <summary>Characters of corpus the BPE vocabulary is learned from (the hand-written trainer is quadratic-ish; this bounds it).</summary>
    private const int TokenizerCorpusCharacters = 2_000_000;
    private const int PretrainValidationDocuments = 64;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string CheckpointPath(Guid jobId) => Path.Combine(store.JobDirectory(jobId), CheckpointDirectory);

    public async Task<TrainingOutcome> RunAsync(JobRecord job, JobSettings settings, ITrainingSink sink, CancellationToken cancellationToken)
    {
        var workspace = store.JobDirectory(job.JobId);
        Directory.CreateDirectory(workspace);
        RecoverCheckpoint(workspace);
        if (job.Kind == JobKinds.Grpo)
        {
            // A grpo job publishes many policy versions while it runs; it decides itself what a restart reuses.
            if (grpo is null) throw new InvalidOperationException("this learner was built without the grpo executor");
            return await grpo.RunAsync(job, settings, sink, cancellationToken);
        }
        var modelName = settings.ModelName ?? (job.Kind == JobKinds.Pretrain ? "deepimagine-base" : $"{job.BaseModel}-{job.Factor ?? "all"}");
        var published = store.FindByJob(modelName, job.JobId);
        if (published is not null)
        {
            logger.LogInformation("job {JobId} already published {Model} v{Version}; not training again", job.JobId, modelName, published.Manifest.Version);
            return new TrainingOutcome(published, published.Manifest.Metrics);
        }
        return job.Kind switch
        {
            JobKinds.Pretrain => await PretrainAsync(job, settings, modelName, workspace, sink, cancellationToken),
            JobKinds.Sft => await SftAsync(job, settings, modelName, workspace, sink, cancellationToken),
            _ => throw new JobValidationException("kind", $"'{job.Kind}' is not a job kind here"),
        };
    }

    private async Task<TrainingOutcome> PretrainAsync(JobRecord job, JobSettings settings, string modelName, string workspace, ITrainingSink sink, CancellationToken cancellationToken)
    {
        var datasetId = job.DatasetId!.Value;
        var corpus = await datasets.CorpusAsync(datasetId, JobValidator.Train, cancellationToken);
        if (corpus.Count == 0) throw new JobValidationException("datasetId", $"dataset {datasetId} has no pretraining text (registry text or articles) in its train split");
        var validation = (await datasets.CorpusAsync(datasetId, JobValidator.Validation, cancellationToken)).Take(PretrainValidationDocuments).ToList();

        // The vocabulary is learned once per job and kept, so a resumed job tokenizes exactly as before.
        var tokenizerPath = Path.Combine(workspace, TokenizerDirectory);
        ChatTokenizer tokenizer;
        if (File.Exists(Path.Combine(tokenizerPath, ChatTokenizer.MergesFile)))
        {
            tokenizer = ChatTokenizer.Load(tokenizerPath);
        }
        else
        {
            tokenizer = BpeTrainer.Train(TakeCharacters(corpus, TokenizerCorpusCharacters), settings.VocabSize);
            var staged = tokenizerPath + ".next";
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
            tokenizer.Save(staged);
            Directory.Move(staged, tokenizerPath);
        }

        var checkpoint = Path.Combine(workspace, CheckpointDirectory);
        var resuming = IsComplete(checkpoint);
        var config = new Qwen3Config
        {
            VocabSize = tokenizer.VocabSize,
            HiddenSize = settings.HiddenSize,
            IntermediateSize = settings.IntermediateSize,
            NumHiddenLayers = settings.Layers,
            NumAttentionHeads = settings.Heads,
            NumKeyValueHeads = settings.KvHeads,
            HeadDim = settings.HeadDim,
            RopeTheta = 10_000,
            MaxPositionEmbeddings = 4096,
            TieWordEmbeddings = true,
            EosTokenId = tokenizer.ImEndId,
        };
        config.Validate("pretrain settings");
        using var model = resuming ? Checkpoint.Load(checkpoint, TorchDevice.Default) : Qwen3ForCausalLM.CreateRandom(config, settings.Seed, TorchDevice.Default);
        // Pretraining is next-token prediction on every token of a document: each document is one assistant turn, packed.
        var train = corpus.Select(d => new SftExample([new ChatMessage("assistant", d)])).ToList();
        var eval = validation.Select(d => new SftExample([new ChatMessage("assistant", d)])).ToList();
        using var trainer = new SftTrainer(model, tokenizer, Options(settings, packing: true));
        if (resuming) Resume(trainer, checkpoint, job);

        var metrics = await TrainLoopAsync(job, settings, trainer, train, sink, checkpoint, cancellationToken, (step, final) =>
        {
            var values = new Dictionary<string, double>();
            if (eval.Count > 0) values["val_loss"] = trainer.Evaluate(eval);
            return values;
        });

        // Corpus size in the job's own tokens (registry text and articles), so `make train` can report what the model read from.
        metrics["corpus_tokens"] = corpus.Sum(d => (double)tokenizer.Encode(d).Count);
        metrics["corpus_documents"] = corpus.Count;
        var staging = store.NewStagingDirectory(modelName);
        Checkpoint.Save(model, staging, new CheckpointMetadata { Step = trainer.Step, Data = $"dataset:{datasetId}", Note = $"pretrain job {job.JobId}" }, tokenizer: tokenizer);
        return await PublishAsync(job, modelName, staging, ModelStore.BaseKind, null, null, metrics, sink, cancellationToken);
    }

    private async Task<TrainingOutcome> SftAsync(JobRecord job, JobSettings settings, string modelName, string workspace, ITrainingSink sink, CancellationToken cancellationToken)
    {
        var datasetId = job.DatasetId!.Value;
        var trainExamples = await datasets.ExamplesAsync(datasetId, JobValidator.Train, job.Factor, cancellationToken);
        var validationExamples = await datasets.ExamplesAsync(datasetId, JobValidator.Validation, job.Factor, cancellationToken);
        if (trainExamples.Count == 0) throw new JobValidationException("factor", $"the train split of dataset {datasetId} is empty for {job.Factor ?? "all factors"}");
        if (validationExamples.Count == 0) throw new JobValidationException("factor", $"the validation split of dataset {datasetId} is empty for {job.Factor ?? "all factors"}");
        var evalSubset = DirectionEvaluator.ValidationSubset(validationExamples, settings.EvalExamples);

        var baseVersion = store.Find(job.BaseModel!, job.BaseVersion)
            ?? throw new JobValidationException("baseModel", $"model '{job.BaseModel}' v{job.BaseVersion} is no longer in the store");
        var tokenizer = ChatTokenizer.Load(baseVersion.Directory);
        using var model = Checkpoint.Load(baseVersion.Directory, TorchDevice.Default);
        var checkpoint = Path.Combine(workspace, CheckpointDirectory);
        var resuming = IsComplete(checkpoint);
        if (resuming)
        {
            Checkpoint.LoadAdapter(model, Path.Combine(checkpoint, "adapter"));
        }
        else
        {
            // Adapter initialisation draws from torch's generator: seeded, so the same job trains the same operator.
            TorchSharp.torch.random.manual_seed(settings.Seed);
            model.AddLora(new LoraSettings(settings.LoraRank, settings.LoraAlpha));
        }

        // The trainer cuts rows at max_seq_len from the end, which is where the RESULT line is: an example that does not
        // fit would teach the trace without its answer, so it is left out (and counted).
        var train = trainExamples.Select(e => DirectionEvaluator.ToSftExample(e, settings.WithTrace, settings.DirectionLossWeight))
            .Where(e => tokenizer.EncodeChat(e.Messages).Ids.Count <= settings.MaxSequenceLength).ToList();
        if (train.Count == 0)
            throw new JobValidationException("hyperParameters.max_seq_len", $"every train example is longer than {settings.MaxSequenceLength} tokens; raise max_seq_len");
        logger.LogInformation("job {JobId}: {Kept} of {Total} train examples fit in {MaxSequenceLength} tokens", job.JobId, train.Count, trainExamples.Count, settings.MaxSequenceLength);
        var requestedSteps = settings.Steps;
        settings = WithinEpochs(settings, train.Count);
        if (settings.Steps < requestedSteps)
            logger.LogInformation("job {JobId}: {Steps} steps instead of {Requested}: max_epochs {Epochs} over {Rows} train rows", job.JobId, settings.Steps, requestedSteps, settings.MaxEpochs, train.Count);
        var eval = evalSubset.Select(e => DirectionEvaluator.ToSftExample(e, settings.WithTrace)).ToList();
        var maxNewTokens = DirectionEvaluator.AnswerBudget(settings, tokenizer, evalSubset);
        using var trainer = new SftTrainer(model, tokenizer, Options(settings, packing: false));
        if (resuming) Resume(trainer, checkpoint, job);

        var metrics = await TrainLoopAsync(job, settings, trainer, train, sink, checkpoint, cancellationToken, (step, final) =>
        {
            var clock = Stopwatch.StartNew();
            var score = DirectionEvaluator.Evaluate(model, tokenizer, evalSubset, maxNewTokens, settings.WithTrace ? null : settings.EvalFreeExamples);
            var values = new Dictionary<string, double>
            {
                ["val_loss"] = trainer.Evaluate(eval),
                ["val_direction_acc"] = score.DirectionAccuracy,
                ["val_direction_acc_free"] = score.FreeDirectionAccuracy,
                ["majority_acc"] = score.MajorityAccuracy,
                ["val_parseable_rate"] = score.ParseableRate,
                ["val_examples"] = score.Examples,
                ["val_free_examples"] = score.FreeExamples,
                ["train_examples_used"] = train.Count,
                // How much of the job the scoring takes (wall clock, this evaluation): what the validation budget costs.
                ["val_seconds"] = clock.Elapsed.TotalSeconds,
            };
            if (score.SignificanceAccuracy is { } s) values["val_significance_acc"] = s;
            if (score.LogRatioMeanAbsoluteError is { } e) values["val_log_ratio_mae"] = e;
            if (score.Signal?.HigherVersusLowerAuc is { } hl) values["val_auc_higher_vs_lower"] = hl;
            if (score.Signal?.ChangedVersusSameAuc is { } cs) values["val_auc_changed_vs_same"] = cs;
            if (score.Signal is { } signal) values["val_change_score_sd"] = signal.ChangeScoreSpread;
            foreach (var (direction, precision) in score.Precision) if (precision is { } p) values[$"val_precision_{direction}"] = p;
            foreach (var (direction, recall) in score.Recall) if (recall is { } r) values[$"val_recall_{direction}"] = r;
            logger.LogInformation("job {JobId} step {Step}: val_direction_acc={Accuracy:F3} (free {Free:F3}) majority_acc={Majority:F3} ({MajorityDirection}) parseable={Parseable:F2}; first answer: {Sample}",
                job.JobId, step, score.DirectionAccuracy, score.FreeDirectionAccuracy, score.MajorityAccuracy, score.MajorityDirection, score.ParseableRate,
                score.SampleCompletion.Length > 400 ? score.SampleCompletion[..400] + "…" : score.SampleCompletion);
            return values;
        });

        var staging = store.NewStagingDirectory(modelName);
        Checkpoint.SaveAdapter(model, staging);
        tokenizer.Save(staging);
        return await PublishAsync(job, modelName, staging, ModelStore.LoraKind, job.BaseModel, job.BaseVersion, metrics, sink, cancellationToken);
    }

    /// <summary>
    /// Trains to the end in chunks: each chunk ends at the next checkpoint or evaluation step, evaluates when due,
    /// then saves a checkpoint and hands the chunk's metrics to the sink. Returns the final metrics.
    /// </summary>
    private static async Task<Dictionary<string, double>> TrainLoopAsync(JobRecord job, JobSettings settings, SftTrainer trainer, IReadOnlyList<SftExample> train,
        ITrainingSink sink, string checkpoint, CancellationToken cancellationToken, Func<int, bool, Dictionary<string, double>> evaluate)
    {
        var total = settings.Steps;
        var clock = Stopwatch.StartNew();
        var startStep = (int)trainer.Step;
        var last = new Dictionary<string, double>();
        var pending = new List<JobMetricPoint>();
        var observer = new StepObserver(p =>
        {
            var point = new JobMetricPoint((int)p.Step, p.Loss, p.LearningRate, p.TokensPerSecond, null, null, null);
            pending.Add(point);
            var done = (int)p.Step - startStep;
            var eta = done > 0 ? clock.Elapsed.TotalSeconds / done * (total - (int)p.Step) : (double?)null;
            sink.Step(point, total, eta);
        });
        while (trainer.Step < total)
        {
            var step = (int)trainer.Step;
            var until = Math.Min(total, Math.Min(NextMultiple(step, settings.CheckpointEvery), NextMultiple(step, settings.EvalEvery)));
            try
            {
                trainer.Train(train, progress: observer, untilStep: until, cancellationToken: cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Keep the work done so far: a cancelled job keeps its last checkpoint, a stopped one resumes from it.
                if (trainer.Step > step) await SaveAsync(trainer, checkpoint, job, sink, pending, CancellationToken.None);
                throw;
            }
            if (until % settings.EvalEvery == 0 || until == total)
            {
                var values = evaluate(until, until == total);
                foreach (var (k, v) in values) last[k] = v;
                pending[^1] = pending[^1] with
                {
                    ValLoss = values.GetValueOrDefault("val_loss", double.NaN) is var l && double.IsFinite(l) ? l : null,
                    ValDirectionAccuracy = values.TryGetValue("val_direction_acc", out var a) ? a : null,
                    MajorityAccuracy = values.TryGetValue("majority_acc", out var m) ? m : null,
                };
            }
            await SaveAsync(trainer, checkpoint, job, sink, pending, cancellationToken);
        }
        if (last.Count == 0)
        {
            // Resumed after the last checkpoint was already final: evaluate once more for the published metrics.
            foreach (var (k, v) in evaluate(total, true)) last[k] = v;
        }
        var history = await sink.HistoryAsync(cancellationToken);
        var lastTrain = history.LastOrDefault();
        if (lastTrain is not null) last["train_loss"] = lastTrain.Loss;
        last["steps"] = total;
        return last;
    }

    private static async Task SaveAsync(SftTrainer trainer, string checkpoint, JobRecord job, ITrainingSink sink, List<JobMetricPoint> pending, CancellationToken cancellationToken)
    {
        var next = checkpoint + ".next";
        var old = checkpoint + ".old";
        if (Directory.Exists(next)) Directory.Delete(next, recursive: true);
        trainer.Save(next, new CheckpointMetadata { Step = trainer.Step, Note = $"job {job.JobId} working checkpoint" });
        // Swap by renames only (each atomic): a recursive delete cut short by a kill would leave a checkpoint that looks
        // complete but lacks files, so the old one is deleted only once the new one is in place.
        // Metrics first: a kill after them but before the swap only repeats steps whose rows a resumed job replaces,
        // while the other order could leave a checkpoint past steps that have no rows at all.
        await sink.CheckpointedAsync((int)trainer.Step, pending.ToList(), cancellationToken);
        pending.Clear();
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(checkpoint)) Directory.Move(checkpoint, old);
        Directory.Move(next, checkpoint);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    private async Task<TrainingOutcome> PublishAsync(JobRecord job, string modelName, string staging, string kind, string? parent, int? parentVersion,
        Dictionary<string, double> metrics, ITrainingSink sink, CancellationToken cancellationToken)
    {
        var history = await sink.HistoryAsync(cancellationToken);
        File.WriteAllText(Path.Combine(staging, MetricsFile), JsonSerializer.Serialize(new
        {
            jobId = job.JobId, kind = job.Kind, datasetId = job.DatasetId, factor = job.Factor, baseModel = parent, baseVersion = parentVersion,
            hyperParameters = job.HyperParameters, final = metrics, steps = history,
        }, Json));
        TrainingCurves.Save(history, $"{job.Kind} {modelName} (job {job.JobId.ToString()[..8]})", Path.Combine(staging, TrainingCurves.FileName));
        var version = store.Publish(modelName, staging, new VersionDescription(kind, parent, parentVersion, job.JobId, metrics));
        logger.LogInformation("job {JobId} published {Model} v{Version} ({Kind}) sha256 {Sha}", job.JobId, modelName, version.Manifest.Version, kind, version.Manifest.Sha256);
        return new TrainingOutcome(version, metrics);
    }

    /// <summary>The curves of a job in progress, drawn in its working directory (the published copy lives in the model's folder).</summary>
    public string WorkingCurvesPath(Guid jobId) => Path.Combine(store.JobDirectory(jobId), TrainingCurves.FileName);

    private void Resume(SftTrainer trainer, string checkpoint, JobRecord job)
    {
        trainer.Resume(checkpoint);
        logger.LogInformation("job {JobId} resumes at step {Step} from its checkpoint", job.JobId, trainer.Step);
    }

    /// <summary>
    /// The steps an sft job runs: <c>steps</c>, or fewer where that many would pass over the train rows more than
    /// <c>max_epochs</c> times. The same data gives the same count, so a resumed job keeps its schedule.
    /// </summary>
    internal static JobSettings WithinEpochs(JobSettings settings, int trainRows)
    {
        var rowsPerStep = (double)settings.BatchSize * settings.GradientAccumulation;
        var steps = (int)Math.Min(settings.Steps, Math.Ceiling(settings.MaxEpochs * trainRows / rowsPerStep));
        steps = Math.Max(steps, settings.WarmupSteps + 1);
        return steps >= settings.Steps ? settings : settings with { Steps = steps, EvalEvery = Math.Min(settings.EvalEvery, steps) };
    }

    private static SftOptions Options(JobSettings settings, bool packing) => new()
    {
        MaxSteps = settings.Steps,
        BatchSize = settings.BatchSize,
        GradientAccumulation = settings.GradientAccumulation,
        LearningRate = settings.LearningRate,
        WarmupSteps = settings.WarmupSteps,
        MaxSequenceLength = settings.MaxSequenceLength,
        Packing = packing,
        Seed = settings.Seed,
    };

    /// <summary>A checkpoint is complete once its last file is written: the trainer state (pretrain, sft) or the grpo job state.</summary>
    internal static bool IsComplete(string checkpoint) =>
        File.Exists(Path.Combine(checkpoint, SftTrainer.TrainerStateFile)) || File.Exists(Path.Combine(checkpoint, GrpoExecutor.StateFile));

    /// <summary>
    /// A kill between the two renames of a swap leaves no checkpoint but a complete ".next" (written last: the trainer
    /// state), or, before that was complete, the previous one as ".old": the newest complete one becomes the checkpoint.
    /// </summary>
    internal static void RecoverCheckpoint(string workspace)
    {
        var checkpoint = Path.Combine(workspace, CheckpointDirectory);
        if (Directory.Exists(checkpoint)) return;
        foreach (var candidate in new[] { checkpoint + ".next", checkpoint + ".old" })
        {
            if (IsComplete(candidate))
            {
                Directory.Move(candidate, checkpoint);
                return;
            }
        }
    }

    private static int NextMultiple(int step, int every) => (step / every + 1) * every;

    private static IEnumerable<string> TakeCharacters(IEnumerable<string> documents, int budget)
    {
        foreach (var d in documents)
        {
            if (budget <= 0) yield break;
            budget -= d.Length;
            yield return d;
        }
    }

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to a thread pool and reorder).</summary>
    private sealed class StepObserver(Action<TrainingProgress> onStep) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onStep(value);
    }
}
