using DeepImagine.Contracts.V1;

namespace DeepImagine.Cli.Tests;

public class Summarizing_grpo_jobs
{
    [Fact]
    public void A_finished_grpo_job_ends_with_its_validation_before_and_after_and_its_stale_drops()
    {
        var metrics = new Dictionary<string, double>
        {
            ["val_reward_start"] = 0.25, ["val_reward_end"] = 0.5, ["val_acc_start"] = 0.375, ["val_acc_end"] = 0.625, ["dropped_stale"] = 3,
        };
        var job = new JobView(Guid.Parse("11111111-2222-3333-4444-555555555555"), "k", "grpo", "completed", "base", 1, Guid.NewGuid(), null,
            new Dictionary<string, string>(), 20, 20, null, null, metrics, "base-grpo", 22, null, null, DateTimeOffset.UtcNow, null, null);
        Assert.Equal("job=11111111-2222-3333-4444-555555555555 kind=grpo steps=20 val_reward_start=0.25 val_reward_end=0.5 val_acc_start=0.375 val_acc_end=0.625 dropped_stale=3",
            TrainingCommands.SummaryLine(job));
    }

    [Fact]
    public void The_benchmark_line_sums_tokens_and_seconds_over_the_steps()
    {
        static JobMetricPoint Step(int step, double stepSeconds, double rolloutTps, double trainSeconds, double learnerTps, double wait) =>
            new(step, 0, 0, learnerTps, null, null, null)
            {
                Values = new Dictionary<string, double> { ["step_s"] = stepSeconds, ["rollout_tps"] = rolloutTps, ["train_s"] = trainSeconds, ["learner_tps"] = learnerTps, ["wait_rollout_s"] = wait },
            };
        // 100 + 300 tokens over 1 + 3 s of steps; 100 + 200 tokens trained in 0.5 + 1 s; 0.25 + 1.75 s of waiting.
        var summary = GrpoBenchmark.Summarize([Step(1, 1, 100, 0.5, 200, 0.25), Step(2, 3, 100, 1, 200, 1.75)]);
        Assert.Equal("rollout_tps=100 learner_tps=200 step_s=2 wait_rollout_share=0.5", summary.Line());
    }

    [Fact]
    public void A_grpo_job_defaults_to_the_newest_dataset_with_train_prompts_not_a_newer_empty_one()
    {
        static DatasetSummary Dataset(string name, int examples, int trainPrompts, int minutesAgo) =>
            new(Guid.NewGuid(), name, 2, [], examples, examples > 0 ? 10 : 0, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(-minutesAgo),
                [new PromptCount("superiority", "train", trainPrompts), new PromptCount("superiority", "validation", 3)]);
        var withData = Dataset("steps-v2", 500, 40, minutesAgo: 10);
        var stepsOnly = Dataset("steps-old", 300, 0, minutesAgo: 5);
        var empty = Dataset("prompts-test", 0, 0, minutesAgo: 1);

        Assert.Equal(withData.DatasetId, TrainingCommands.DefaultDataset([withData, stepsOnly, empty], "grpo")!.DatasetId);
        Assert.Equal(stepsOnly.DatasetId, TrainingCommands.DefaultDataset([withData, stepsOnly, empty], "sft")!.DatasetId);
        Assert.Null(TrainingCommands.DefaultDataset([empty], "grpo"));
    }
}
