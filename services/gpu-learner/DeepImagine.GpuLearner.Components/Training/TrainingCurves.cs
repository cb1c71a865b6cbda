using DeepImagine.Contracts.V1;
using ScottPlot;

namespace DeepImagine.GpuLearner.Training;

/// <summary>A PNG of a job's loss curves (train, validation) and validation accuracy against the majority baseline, rendered headless.</summary>
public static class TrainingCurves
{
    public const string FileName = "training_curves.png";

    public static void Save(IReadOnlyList<JobMetricPoint> points, string title, string path)
    {
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
}
