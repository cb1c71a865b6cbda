using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using DeepImagine.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.GpuLearner.Tests;

/// <summary>Collects what a training run reports, as the runner's registry sink would store it.</summary>
internal sealed class RecordingSink(Action<JobMetricPoint>? onStep = null) : ITrainingSink
{
    private readonly SortedDictionary<int, JobMetricPoint> _durable = [];
    public List<JobMetricPoint> Steps { get; } = [];
    public List<int> Checkpoints { get; } = [];

    public void Step(JobMetricPoint point, int totalSteps, double? etaSeconds)
    {
        Steps.Add(point);
        onStep?.Invoke(point);
    }

    public Task CheckpointedAsync(int step, IReadOnlyList<JobMetricPoint> points, CancellationToken cancellationToken)
    {
        Checkpoints.Add(step);
        foreach (var p in points) _durable[p.Step] = p;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobMetricPoint>> HistoryAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JobMetricPoint>>(_durable.Values.ToList());
}

public sealed class Training_operators : IDisposable
{
    private readonly FakeDatasets _datasets = new();
    private readonly TinyStore _store;

    public Training_operators() => _store = new TinyStore(_datasets);

    public void Dispose() => _store.Dispose();

    private static readonly Dictionary<string, string> SmallSft = new()
    {
        ["max_epochs"] = "1000", ["steps"] = "12", ["batch_size"] = "4", ["warmup_steps"] = "2", ["learning_rate"] = "0.01", ["checkpoint_every"] = "4",
        ["eval_every"] = "12", ["eval_examples"] = "6", ["eval_max_new_tokens"] = "24", ["max_seq_len"] = "128",
        // Two of the six answered freely, the rest read after an empty trace; the direction word weighted in the loss.
        ["eval_free_examples"] = "2", ["direction_loss_weight"] = "5",
    };

    private TrainingExecutor Executor() => new(_store.Store, _datasets, NullLogger<TrainingExecutor>.Instance);

    private static JobRecord Sft(Guid jobId, Dictionary<string, string> hyper, string factor = "dose") =>
        new(jobId, "k-" + jobId, JobKinds.Sft, TinyStore.BaseName, 1, FakeDatasets.DatasetId, factor, hyper, JobStatus.Running, false, 0, 12,
            null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null);

    [Fact]
    public async Task An_sft_job_publishes_a_lora_operator_for_its_factor_with_validation_metrics()
    {
        var job = Sft(Guid.NewGuid(), SmallSft);
        var sink = new RecordingSink();

        var outcome = await Executor().RunAsync(job, JobSettings.Parse(JobKinds.Sft, SmallSft), sink, default);

        var manifest = outcome.Version.Manifest;
        Assert.Equal("tiny-base-dose", manifest.Name);
        Assert.Equal(ModelStore.LoraKind, manifest.Kind);
        Assert.Equal((TinyStore.BaseName, 1), (manifest.ParentModel, manifest.ParentVersion));
        Assert.Equal(job.JobId, manifest.JobId);
        var files = manifest.Files.Select(f => f.Path).ToList();
        Assert.Contains(Checkpoint.AdapterWeightsFile, files);
        Assert.Contains(Checkpoint.AdapterConfigFile, files);
        Assert.Contains(TrainingCurves.FileName, files);
        Assert.Contains(TrainingExecutor.MetricsFile, files);
        Assert.Contains(ChatTokenizer.VocabFile, files);
        Assert.True(ModelStore.Verify(outcome.Version));
        Assert.Equal(Enumerable.Range(1, 12), sink.Steps.Select(s => s.Step));
        Assert.Equal([4, 8, 12], sink.Checkpoints);
        Assert.InRange(outcome.Metrics["val_direction_acc"], 0, 1);
        Assert.InRange(outcome.Metrics["val_direction_acc_free"], 0, 1);
        Assert.InRange(outcome.Metrics["majority_acc"], 0.5, 1);
        Assert.Equal(2, outcome.Metrics["val_free_examples"]);
        // Recall for each direction the validation examples show (the fake dose examples go both ways, never "same").
        Assert.InRange(outcome.Metrics["val_recall_higher"], 0, 1);
        Assert.InRange(outcome.Metrics["val_recall_lower"], 0, 1);
        Assert.False(outcome.Metrics.ContainsKey("val_recall_same"));
        // What the reading's scores know, from the same scoring: higher against lower ranks; nothing to rank against "same".
        Assert.InRange(outcome.Metrics["val_auc_higher_vs_lower"], 0, 1);
        Assert.False(outcome.Metrics.ContainsKey("val_auc_changed_vs_same"));
        Assert.True(outcome.Metrics["val_change_score_sd"] >= 0);
        Assert.True(double.IsFinite(outcome.Metrics["val_loss"]));
        Assert.Equal(_datasets.Examples.Count(e => e.Factor == "dose" && e.Split == "train"), outcome.Metrics["train_examples_used"]);
        Assert.Equal(sink.Steps[^1].Loss, outcome.Metrics["train_loss"]);
        Assert.True(sink.Steps[^1].Loss < sink.Steps[0].Loss, $"loss should fall: {sink.Steps[0].Loss} → {sink.Steps[^1].Loss}");

        // The operator loads back onto its base.
        using var model = Checkpoint.Load(_store.BaseVersion!.Directory);
        Checkpoint.LoadAdapter(model, outcome.Version.Directory);
        Assert.NotNull(model.Lora);
    }

    [Fact]
    public async Task A_stopped_job_resumes_from_its_checkpoint_with_the_same_batches()
    {
        var reference = new RecordingSink();
        await Executor().RunAsync(Sft(Guid.NewGuid(), SmallSft), JobSettings.Parse(JobKinds.Sft, SmallSft), reference, default);

        var interrupted = Sft(Guid.NewGuid(), SmallSft);
        using var stop = new CancellationTokenSource();
        var first = new RecordingSink(p => { if (p.Step == 6) stop.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Executor().RunAsync(interrupted, JobSettings.Parse(JobKinds.Sft, SmallSft), first, stop.Token));
        Assert.Equal([4, 6], first.Checkpoints);

        var second = new RecordingSink();
        await Executor().RunAsync(interrupted, JobSettings.Parse(JobKinds.Sft, SmallSft), second, default);

        Assert.Equal(Enumerable.Range(7, 6), second.Steps.Select(s => s.Step));
        for (var i = 0; i < 6; i++)
            Assert.Equal(reference.Steps[6 + i].Loss, second.Steps[i].Loss, 3);
        for (var i = 0; i < 6; i++)
            Assert.Equal(reference.Steps[i].Loss, first.Steps[i].Loss, 3);
    }

    [Fact]
    public async Task A_job_that_already_published_does_not_train_again()
    {
        var job = Sft(Guid.NewGuid(), SmallSft);
        var published = await Executor().RunAsync(job, JobSettings.Parse(JobKinds.Sft, SmallSft), new RecordingSink(), default);

        var again = new RecordingSink();
        var outcome = await Executor().RunAsync(job, JobSettings.Parse(JobKinds.Sft, SmallSft), again, default);

        Assert.Empty(again.Steps);
        Assert.Equal(published.Version.Manifest.Version, outcome.Version.Manifest.Version);
        Assert.Single(_store.Store.Versions("tiny-base-dose"));
    }

    [Fact]
    public async Task Leaves_out_examples_whose_answer_would_be_cut_off_and_refuses_a_job_where_none_fit()
    {
        var tooShort = new Dictionary<string, string>(SmallSft) { ["max_seq_len"] = "16" };

        var error = await Assert.ThrowsAsync<JobValidationException>(() =>
            Executor().RunAsync(Sft(Guid.NewGuid(), tooShort), JobSettings.Parse(JobKinds.Sft, tooShort), new RecordingSink(), default));

        Assert.Equal("hyperParameters.max_seq_len", error.Field);
    }

    [Fact]
    public async Task Pretraining_learns_a_vocabulary_and_publishes_a_base_model_that_loads()
    {
        var hyper = new Dictionary<string, string>
        {
            ["steps"] = "6", ["batch_size"] = "4", ["warmup_steps"] = "1", ["checkpoint_every"] = "3", ["eval_every"] = "3", ["max_seq_len"] = "64",
            ["vocab_size"] = "512", ["hidden_size"] = "32", ["intermediate_size"] = "64", ["layers"] = "1", ["heads"] = "2", ["kv_heads"] = "1",
            ["head_dim"] = "16", ["model_name"] = "tiny-pretrained",
        };
        var job = new JobRecord(Guid.NewGuid(), "p", JobKinds.Pretrain, null, null, FakeDatasets.DatasetId, null, hyper, JobStatus.Running, false, 0, 6,
            null, null, new Dictionary<string, double>(), null, null, null, DateTimeOffset.UtcNow, null, null);
        var sink = new RecordingSink();

        var outcome = await Executor().RunAsync(job, JobSettings.Parse(JobKinds.Pretrain, hyper), sink, default);

        Assert.Equal(("tiny-pretrained", 1, ModelStore.BaseKind), (outcome.Version.Manifest.Name, outcome.Version.Manifest.Version, outcome.Version.Manifest.Kind));
        Assert.True(double.IsFinite(outcome.Metrics["val_loss"]));
        Assert.Equal([3, 6], sink.Checkpoints);
        using var model = Checkpoint.Load(outcome.Version.Directory);
        var tokenizer = ChatTokenizer.Load(outcome.Version.Directory);
        Assert.Equal(tokenizer.VocabSize, model.Config.VocabSize);
        Assert.NotEmpty(tokenizer.Encode("aspirin: dose 10 mg"));
        // The corpus size is recorded in the job's own tokens (what `make train` prints as corpus_tokens).
        var corpus = await new FakeDatasets().CorpusAsync(FakeDatasets.DatasetId, JobValidator.Train, default);
        Assert.Equal(corpus.Sum(d => tokenizer.Encode(d).Count), outcome.Metrics["corpus_tokens"]);
        Assert.Equal(corpus.Count, outcome.Metrics["corpus_documents"]);
        Assert.True(outcome.Metrics["corpus_tokens"] > corpus.Count);
    }
}
