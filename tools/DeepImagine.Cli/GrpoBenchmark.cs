using System.Globalization;
using DeepImagine.Contracts.V1;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench grpo</c>: one small grpo job through the running services (rollout-generator instances, reward-verifier,
/// gpu-learner), then its per-step metrics summed: completion tokens received per second of step time (rollout side),
/// completion tokens put through the GRPO loss per second of training (learner side), seconds per step, and the share of the learner's
/// step time spent waiting for scored groups. <c>make bench-grpo</c> starts a second rollout-generator first.
/// </summary>
internal static class GrpoBenchmark
{
    private const string Section = "grpo";

    public static async Task<int> RunAsync(int steps, string baseModel, string? report, CancellationToken cancellationToken)
    {
        if (steps < 2) throw new ArgumentException($"--steps {steps}: at least 2 (the first step also waits for the first rollouts)");
        using var host = CliHost.Create(withBus: false);
        using var api = new GatewayApi(host.Configuration());
        var dataset = TrainingCommands.DefaultDataset(await api.DatasetsAsync(cancellationToken), "grpo")
            ?? throw new ArgumentException("no dataset to train on: run `make run` (import the bundled data) first");
        var text = steps.ToString(CultureInfo.InvariantCulture);
        var hyper = new Dictionary<string, string>
        {
            ["steps"] = text, ["group_size"] = "8", ["prompts_per_step"] = "8", ["max_new_tokens"] = "64", ["publish_every"] = "1",
            ["checkpoint_every"] = text, ["eval_examples"] = "8",
        };
        Console.WriteLine($"dataset={dataset.DatasetId} base={baseModel} steps={steps}");
        var loadBefore = LoadAverage();
        var submitted = await api.SubmitAsync(new SubmitJobRequest("grpo", baseModel, dataset.DatasetId, null, hyper, "bench-grpo-" + Guid.NewGuid().ToString("N")), cancellationToken);
        var deadline = DateTime.UtcNow.AddHours(1);
        JobView job;
        while (true)
        {
            job = await api.JobAsync(submitted.JobId, cancellationToken) ?? submitted;
            if (job.Status is "completed" or "failed" or "cancelled") break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"bench job {job.JobId} still {job.Status} after an hour");
            await Task.Delay(1000, cancellationToken);
        }
        if (job.Status != "completed") throw new InvalidOperationException($"bench job {job.JobId} {job.Status}: {job.Error}");
        var points = (await api.MetricsAsync(job.JobId, cancellationToken)).Where(p => p.Values is not null).ToList();
        if (points.Count == 0) throw new InvalidOperationException($"bench job {job.JobId} recorded no grpo metrics");
        var summary = Summarize(points);
        var loadAfter = LoadAverage();
        // Groups whose rewards are all equal carry no advantage and are skipped: the learner then trains on nothing.
        var zeroStd = points.Average(p => p.Values!.TryGetValue("zero_std_share", out var z) ? z : 0);
        Console.WriteLine(TrainingCommands.SummaryLine(job));
        if (report is not null)
        {
            BenchmarkReport.Update(report, Section, $"""
                ## GRPO through the services (`make bench-grpo`)

                One grpo job ({steps} steps, 8 prompts × 8 completions per step, up to 64 new tokens, a new policy version every
                step, at most one version of lag) on `{baseModel}` with two rollout-generator instances. Rollout side: completion
                tokens received per second of step time; learner side: completion tokens trained per second of training;
                waiting share: the learner's time waiting for scored groups over its step time (target ≤ 0.5).

                | rollout_tps | learner_tps | step_s | wait_rollout_share |
                |---|---|---|---|
                | {summary.RolloutTps:0} | {summary.LearnerTps:0} | {summary.StepSeconds:0.00} | {summary.WaitShare:0.00} |

                Share of groups skipped because all their rewards were equal: {zeroStd:0.00}. Machine load (1-minute load
                average) before / after: {loadBefore} / {loadAfter}.

                What bounds the waiting share: the learner keeps at most `prompts_per_step × (1 + min(max_off_policy_steps, 1))`
                groups requested, so the next step's rollouts are generated while it trains, one step ahead at most. A step's wait
                is then about max(0, G − train_s), G the time to generate `prompts_per_step × group_size` completions of up to
                `max_new_tokens` tokens with the instances, and the share is at most 0.5 only when training a step takes at least
                half of G. More instances shorten G only with cores to spare (here two instances share two loaded cores); a larger
                policy or longer sequences lengthen train_s. When the groups have no reward variance (a base that never writes a
                parseable answer) the learner trains on nothing and the share is close to 1.

                Command: `make bench-grpo` (`deepimagine bench grpo --steps {steps}`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        Console.WriteLine(summary.Line());
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    public sealed record GrpoBenchSummary(double RolloutTps, double LearnerTps, double StepSeconds, double WaitShare)
    {
        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"rollout_tps={RolloutTps:0.#} learner_tps={LearnerTps:0.#} step_s={StepSeconds:0.###} wait_rollout_share={WaitShare:0.###}");
    }

    /// <summary>Totals over the steps (not means of ratios): tokens over seconds on each side, waiting over step time.</summary>
    public static GrpoBenchSummary Summarize(IReadOnlyList<JobMetricPoint> points)
    {
        double V(JobMetricPoint p, string name) => p.Values!.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"step {p.Step} has no metric '{name}'");
        var stepSeconds = points.Sum(p => V(p, "step_s"));
        var tokens = points.Sum(p => V(p, "rollout_tps") * V(p, "step_s"));
        var trainSeconds = points.Sum(p => V(p, "train_s"));
        var trained = points.Sum(p => V(p, "learner_tps") * V(p, "train_s"));
        return new GrpoBenchSummary(tokens / Math.Max(stepSeconds, 1e-9), trained / Math.Max(trainSeconds, 1e-9), stepSeconds / points.Count,
            points.Sum(p => V(p, "wait_rollout_s")) / Math.Max(stepSeconds, 1e-9));
    }
}
