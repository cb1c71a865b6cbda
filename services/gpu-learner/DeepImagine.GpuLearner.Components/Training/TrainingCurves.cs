using DeepImagine.Contracts.V1;
using ScottPlot;

namespace DeepImagine.GpuLearner.Training;

/// <summary>A PNG of a job's loss curves (train, validation) and validation accuracy against the majority baseline, rendered headless.</summary>
public static class TrainingCurves
{
    public const string FileName = "training_curves.png";

    public static void Save(IReadOnlyList<JobMetricPoint> points, string title, string path)
    {
        if (points.Any(p => p.Values?.ContainsKey("reward_mean") == true))
        {
            SaveRewards(points, title, path);
            return;
        }
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var loss = multiplot.GetPlot(0);
        var accuracy = multiplot.GetPlot(1);

        var trainLoss = loss.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Loss).ToArray());
        trainLoss.LegendText = "train loss";
        trainLoss.MarkerSize = 0;
        var evaluated = points.Where(p => p.ValLoss is not null).ToList();
        if (evaluated.Count > 0)
        {
            var valLoss = loss.Add.Scatter(evaluated.Select(p => (double)p.Step).ToArray(), evaluated.Select(p => p.ValLoss!.Value).ToArray());
            valLoss.LegendText = "validation loss";
        }
        loss.Title(title);
        loss.XLabel("step");
        loss.YLabel("loss");
        loss.ShowLegend();

        var scored = points.Where(p => p.ValDirectionAccuracy is not null).ToList();
        if (scored.Count > 0)
        {
            var direction = accuracy.Add.Scatter(scored.Select(p => (double)p.Step).ToArray(), scored.Select(p => p.ValDirectionAccuracy!.Value).ToArray());
            direction.LegendText = "validation direction accuracy";
            var majority = accuracy.Add.Scatter(scored.Select(p => (double)p.Step).ToArray(), scored.Select(p => p.MajorityAccuracy ?? double.NaN).ToArray());
            majority.LegendText = "majority baseline";
            majority.LinePattern = LinePattern.Dashed;
        }
        accuracy.Axes.SetLimitsY(0, 1);
        accuracy.XLabel("step");
        accuracy.YLabel("accuracy");
        accuracy.ShowLegend();

        multiplot.SavePng(path, 900, 800);
    }

    /// <summary>
    /// A grpo job: mean reward of the sampled groups per step (and its share of zero-std groups), and the greedy
    /// validation reward and accuracy before (step 0) and after training.
    /// </summary>
    private static void SaveRewards(IReadOnlyList<JobMetricPoint> points, string title, string path)
    {
        double Value(JobMetricPoint p, string name) => p.Values is { } v && v.TryGetValue(name, out var x) ? x : double.NaN;
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var rewards = multiplot.GetPlot(0);
        var validation = multiplot.GetPlot(1);
        var steps = points.Select(p => (double)p.Step).ToArray();
        var mean = rewards.Add.Scatter(steps, points.Select(p => Value(p, "reward_mean")).ToArray());
        mean.LegendText = "train reward (sampled groups)";
        mean.MarkerSize = 0;
        var zeroStd = rewards.Add.Scatter(steps, points.Select(p => Value(p, "zero_std_share")).ToArray());
        zeroStd.LegendText = "zero-std group share";
        zeroStd.LinePattern = LinePattern.Dashed;
        zeroStd.MarkerSize = 0;
        rewards.Title(title);
        rewards.XLabel("step");
        rewards.YLabel("reward");
        rewards.ShowLegend();

        var final = points.LastOrDefault(p => p.Values?.ContainsKey("val_reward_end") == true);
        if (final is not null)
        {
            var ends = new[] { 0.0, final.Step };
            var reward = validation.Add.Scatter(ends, [Value(final, "val_reward_start"), Value(final, "val_reward_end")]);
            reward.LegendText = "validation reward (greedy)";
            var accuracy = validation.Add.Scatter(ends, [Value(final, "val_acc_start"), Value(final, "val_acc_end")]);
            accuracy.LegendText = "validation accuracy (greedy)";
        }
        validation.XLabel("step");
        validation.YLabel("validation");
        validation.ShowLegend();
        multiplot.SavePng(path, 900, 800);
    }
}
