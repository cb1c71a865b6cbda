using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Jobs;

namespace DeepImagine.GpuLearner.Tests;

public sealed class Validating_grpo_jobs : IDisposable
{
    private readonly FakeDatasets _datasets = new();
    private readonly TinyStore _store;
    private readonly JobValidator _validator;

    public Validating_grpo_jobs()
    {
        _store = new TinyStore(_datasets);
        _validator = new JobValidator(_datasets, _store.Store);
    }

    public void Dispose() => _store.Dispose();

    private static SubmitTrainingJob Job(string? factor = null, Dictionary<string, string>? hyper = null, string baseModel = TinyStore.BaseName) =>
        new(Guid.NewGuid(), "key-1", JobKinds.Grpo, baseModel, FakeDatasets.DatasetId, factor, hyper ?? [], DateTimeOffset.UtcNow);

    [Fact]
    public void Fills_in_the_grpo_defaults()
    {
        var settings = JobSettings.Parse(JobKinds.Grpo, null);
        Assert.Equal(8, settings.GroupSize);
        Assert.Equal(0.2, settings.EpsilonLow);
        Assert.Equal(0.28, settings.EpsilonHigh);
        Assert.Equal(0, settings.Beta);
        Assert.Equal("dapo", settings.LossType);
        Assert.Equal("group", settings.ScaleRewards);
        Assert.Equal(1, settings.MaxOffPolicySteps);
        Assert.Equal(1, settings.PublishEvery);
        Assert.DoesNotContain("batch_size", settings.Normalized.Keys);
    }

    [Theory]
    [InlineData("loss_type", "ppo", "hyperParameters.loss_type")]
    [InlineData("scale_rewards", "std", "hyperParameters.scale_rewards")]
    [InlineData("group_size", "1", "hyperParameters.group_size")]
    [InlineData("epsilon_low", "1.5", "hyperParameters.epsilon_low")]
    [InlineData("beta", "-0.1", "hyperParameters.beta")]
    [InlineData("temperature", "0", "hyperParameters.temperature")]
    [InlineData("max_off_policy_steps", "-1", "hyperParameters.max_off_policy_steps")]
    [InlineData("ratio_mask_bound", "0", "hyperParameters.ratio_mask_bound")]
    [InlineData("publish_every", "0", "hyperParameters.publish_every")]
    [InlineData("prompts_per_step", "two", "hyperParameters.prompts_per_step")]
    [InlineData("batch_size", "8", "hyperParameters.batch_size")]
    public async Task Refuses_a_bad_hyper_parameter_at_submission_naming_it(string name, string value, string field)
    {
        var error = await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(hyper: new() { [name] = value }), CancellationToken.None));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Refuses_a_factor_and_an_unknown_base_model()
    {
        Assert.Equal("factor", (await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(factor: "dose"), CancellationToken.None))).Field);
        Assert.Equal("baseModel", (await Assert.ThrowsAsync<JobValidationException>(() => _validator.ValidateAsync(Job(baseModel: "nobody"), CancellationToken.None))).Field);
    }

    [Fact]
    public async Task Accepts_a_valid_grpo_job_resolved_to_its_base_version()
    {
        var validated = await _validator.ValidateAsync(Job(hyper: new() { ["loss_type"] = "dr_grpo", ["beta"] = "0.04" }), CancellationToken.None);
        Assert.Equal(1, validated.BaseVersion);
        Assert.Equal("dr_grpo", validated.Settings.LossType);
        Assert.Equal(0.04, validated.Settings.Beta);
    }
}
