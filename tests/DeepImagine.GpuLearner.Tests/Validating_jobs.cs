using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.GpuLearner.Training;

namespace DeepImagine.GpuLearner.Tests;

public sealed class Validating_jobs : IDisposable
{
    private readonly FakeDatasets _datasets = new();
    private readonly TinyStore _store;
    private readonly JobValidator _validator;

    public Validating_jobs()
    {
        _store = new TinyStore(_datasets);
        _validator = new JobValidator(_datasets, _store.Store);
    }

    public void Dispose() => _store.Dispose();

    private static SubmitTrainingJob Job(string kind = "sft", string? baseModel = TinyStore.BaseName, Guid? dataset = null, string? factor = "dose",
        Dictionary<string, string>? hyper = null) =>
        new(Guid.NewGuid(), "key-1", kind, baseModel, dataset ?? FakeDatasets.DatasetId, factor, hyper ?? [], DateTimeOffset.UtcNow);

    [Fact]
    public void Fills_in_every_default_so_the_settings_are_complete()
    {
        var settings = JobSettings.Parse("sft", new Dictionary<string, string> { ["steps"] = "12" });

        Assert.Equal(12, settings.Steps);
        Assert.Equal(16, settings.LoraRank);
        Assert.Equal("12", settings.Normalized["steps"]);
        Assert.Contains("lora_rank", settings.Normalized.Keys);
        Assert.DoesNotContain("vocab_size", settings.Normalized.Keys);
    }

    [Fact]
    public void Defaults_an_operator_to_the_recipe_measured_in_docs_training()
    {
        var settings = JobSettings.Parse("sft", null);

        Assert.Equal(600, settings.Steps);
        Assert.Equal(600, settings.EvalEvery);
        Assert.Equal(5, settings.DirectionLossWeight);
        Assert.Equal(400, settings.EvalExamples);
        Assert.Equal(50, settings.EvalFreeExamples);
        Assert.False(settings.WithTrace);
        Assert.Equal(0.01, settings.LearningRate);
        Assert.Equal(100, JobSettings.Parse("grpo", null).EvalExamples);
        var pretrain = JobSettings.Parse("pretrain", null);
        Assert.Equal(2000, pretrain.Steps);
        Assert.Equal(0.005, pretrain.LearningRate);
    }

    [Fact]
    public void Stops_an_operator_after_one_pass_over_a_small_train_split()
    {
        var settings = JobSettings.Parse("sft", null);

        var outcome = TrainingExecutor.WithinEpochs(settings, trainRows: 1464);
        var dose = TrainingExecutor.WithinEpochs(settings, trainRows: 4906);
        var twice = TrainingExecutor.WithinEpochs(JobSettings.Parse("sft", new Dictionary<string, string> { ["max_epochs"] = "2" }), trainRows: 1464);

        Assert.Equal((183, 183), (outcome.Steps, outcome.EvalEvery));
        Assert.Equal(600, dose.Steps);
        Assert.Same(settings, dose);
        Assert.Equal(366, twice.Steps);
        Assert.Equal(11, TrainingExecutor.WithinEpochs(settings, trainRows: 3).Steps);
    }

    [Theory]
    [InlineData("steps", "0", "hyperParameters.steps")]
    [InlineData("direction_loss_weight", "0", "hyperParameters.direction_loss_weight")]
    [InlineData("eval_free_examples", "0", "hyperParameters.eval_free_examples")]
    [InlineData("steps", "ten", "hyperParameters.steps")]
    [InlineData("steps", "1.5", "hyperParameters.steps")]
    [InlineData("learning_rate", "2", "hyperParameters.learning_rate")]
    [InlineData("learnig_rate", "0.1", "hyperParameters.learnig_rate")]
    [InlineData("vocab_size", "4096", "hyperParameters.vocab_size")]
    [InlineData("warmup_steps", "600", "hyperParameters.warmup_steps")]
    public void Refuses_a_bad_hyper_parameter_naming_it(string name, string value, string field)
    {
        var error = Assert.Throws<JobValidationException>(() => JobSettings.Parse("sft", new Dictionary<string, string> { [name] = value }));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Refuses_a_kind_it_does_not_run()
    {
        var error = Assert.Throws<JobValidationException>(() => JobSettings.Parse("dpo", null));

        Assert.Equal("kind", error.Field);
    }

    [Fact]
    public async Task Refuses_an_unknown_dataset()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(dataset: Guid.NewGuid()), default));

        Assert.Equal("datasetId", error.Field);
        Assert.Contains("unknown", error.Reason);
    }

    [Fact]
    public async Task Refuses_a_factor_whose_split_is_empty()
    {
        _datasets.Examples.RemoveAll(e => e.Factor == "population" && e.Split == "validation");

        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(factor: "population"), default));

        Assert.Equal("factor", error.Field);
        Assert.Contains("validation split", error.Reason);
    }

    [Fact]
    public async Task Refuses_a_factor_the_dataset_does_not_have()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(factor: "geography"), default));

        Assert.Equal("factor", error.Field);
    }

    [Fact]
    public async Task Refuses_sft_from_a_model_that_is_not_in_the_store()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(baseModel: "no-such-model"), default));

        Assert.Equal("baseModel", error.Field);
    }

    [Fact]
    public async Task Resolves_the_base_model_to_its_newest_complete_version()
    {
        var valid = await _validator.ValidateAsync(Job(), default);

        Assert.Equal(TinyStore.BaseName, valid.BaseModel);
        Assert.Equal(1, valid.BaseVersion);
    }

    [Fact]
    public async Task Refuses_pretraining_that_names_a_base_model()
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(kind: "pretrain", factor: null), default));

        Assert.Equal("baseModel", error.Field);
    }

    [Fact]
    public void Derives_the_same_key_for_the_same_inputs_and_another_for_other_settings()
    {
        var settings = JobSettings.Parse("sft", new Dictionary<string, string> { ["steps"] = "10" });
        var same = JobSettings.Parse("sft", new Dictionary<string, string> { ["steps"] = "10.0", ["lora_rank"] = "16" });
        var other = JobSettings.Parse("sft", new Dictionary<string, string> { ["steps"] = "11" });

        var key = JobValidator.DerivedKey("sft", "b", 1, FakeDatasets.DatasetId, "dose", settings);

        Assert.Equal(key, JobValidator.DerivedKey("sft", "b", 1, FakeDatasets.DatasetId, "dose", same));
        Assert.NotEqual(key, JobValidator.DerivedKey("sft", "b", 1, FakeDatasets.DatasetId, "dose", other));
        Assert.NotEqual(key, JobValidator.DerivedKey("sft", "b", 2, FakeDatasets.DatasetId, "dose", settings));
        Assert.NotEqual(key, JobValidator.DerivedKey("sft", "b", 1, FakeDatasets.DatasetId, "arm", settings));
    }
}
