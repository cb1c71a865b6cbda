using System.Globalization;
using System.Text;
using ScottPlot;

namespace DeepImagine.Evaluation;

/// <summary>A method's scores on the questions with known answers, with bootstrap intervals.</summary>
public sealed record MethodScore(MethodRun Run, TaskScore Score, IReadOnlyDictionary<string, (double Low, double High)> Intervals, IReadOnlyList<ScoredItem> Items);

/// <summary>The score table for the console, the last line, and DIR/report.md with its PNG plots (ScottPlot, headless).</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Table(ITaskScorer scorer, IReadOnlyList<MethodScore> scores)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"method",-12} {"class",-16} {"n",5} " + string.Join(" ", scorer.MetricNames.Select(m => $"{m,9}")) + "   fallbacks");
        foreach (var s in scores)
        {
            text.AppendLine($"{s.Run.Method,-12} {"overall",-16} {s.Items.Count,5} " + string.Join(" ", scorer.MetricNames.Select(m => $"{F(s.Score.Overall[m]),9}")) + $"   {s.Run.Fallbacks}");
            if (s.Score.ByClass.Count > 1)
            {
                foreach (var (cls, metrics) in s.Score.ByClass)
                    text.AppendLine($"{"",-12} {cls,-16} {s.Score.CountByClass[cls],5} " + string.Join(" ", scorer.MetricNames.Select(m => $"{F(metrics[m]),9}")));
            }
        }
        return text.ToString();
    }

    /// <summary><c>&lt;method&gt;_&lt;metric&gt;=&lt;value&gt;</c> for every method and metric, on one line.</summary>
    public static string LastLine(ITaskScorer scorer, IReadOnlyList<MethodScore> scores) =>
        string.Join(" ", scores.SelectMany(s => scorer.MetricNames.Select(m => $"{s.Run.Method}_{m}={F(s.Score.Overall[m])}")));

    public static void Write(string directory, string title, string command, ITaskScorer scorer, string groupName, IReadOnlyList<MethodScore> scores, IReadOnlyList<string> unavailable)
    {
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        md.AppendLine($"Command: `{command}`  ").AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        md.AppendLine($"Intervals: 95% percentile bootstrap over {groupName} ({Bootstrap.Replicates} resamples). Cross-entropy: lower is better.").AppendLine();
        md.AppendLine("## Overall").AppendLine();
        md.AppendLine("| method | n | " + string.Join(" | ", scorer.MetricNames) + " | class-prior fallbacks |");
        md.AppendLine("|---|---|" + string.Concat(scorer.MetricNames.Select(_ => "---|")) + "---|");
        foreach (var s in scores)
            md.AppendLine($"| {s.Run.Method} | {s.Items.Count} | " + string.Join(" | ", scorer.MetricNames.Select(m => WithInterval(s.Score.Overall[m], s.Intervals, m))) + $" | {s.Run.Fallbacks} |");
        md.AppendLine();
        foreach (var name in unavailable) md.AppendLine($"- `{name}`: not run: no trained model or predictor is available to the evaluation.");
        if (unavailable.Count > 0) md.AppendLine();
        md.AppendLine("## Per class").AppendLine();
        md.AppendLine("| class | method | n | " + string.Join(" | ", scorer.MetricNames) + " |");
        md.AppendLine("|---|---|---|" + string.Concat(scorer.MetricNames.Select(_ => "---|")));
        foreach (var cls in scores.SelectMany(s => s.Score.ByClass.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            foreach (var s in scores.Where(s => s.Score.ByClass.ContainsKey(cls)))
                md.AppendLine($"| {cls} | {s.Run.Method} | {s.Score.CountByClass[cls]} | " + string.Join(" | ", scorer.MetricNames.Select(m => WithInterval(s.Score.ByClass[cls][m], s.Intervals, $"{cls}/{m}"))) + " |");
        }
        md.AppendLine();
        var withFallbacks = scores.Where(s => s.Run.Fallbacks > 0).ToList();
        if (withFallbacks.Count > 0)
        {
            md.AppendLine("## Questions a method could not answer (class prior given)").AppendLine();
            foreach (var s in withFallbacks)
                foreach (var (reason, count) in s.Run.FallbackReasons)
                    md.AppendLine($"- `{s.Run.Method}`: {count} — {reason}");
            md.AppendLine();
        }
        md.AppendLine("## Plots").AppendLine();
        var accuracyPlot = "accuracy-by-class.png";
        AccuracyByClass(Path.Combine(directory, accuracyPlot), scorer.AccuracyMetric, scores);
        md.AppendLine($"![{scorer.AccuracyMetric} by class]({accuracyPlot})").AppendLine();
        foreach (var s in scores)
        {
            var file = $"reliability-{s.Run.Method}.png";
            Reliability(Path.Combine(directory, file), s);
            md.AppendLine($"![reliability {s.Run.Method}]({file})").AppendLine();
        }
        File.WriteAllText(Path.Combine(directory, "report.md"), md.ToString());
    }

    /// <summary>
    /// Reliability diagram: every (question, option) as a forecast of "this option is the answer", in ten bins of the
    /// stated probability; the observed share in each bin against the bin's mean probability.
    /// </summary>
    public static IReadOnlyList<(double Predicted, double Observed, int Count)> ReliabilityBins(IReadOnlyList<ScoredItem> items, int bins = 10)
    {
        var points = items.Where(i => Metrics.Normalised(i.Probabilities) is not null)
            .SelectMany(i => Metrics.Normalised(i.Probabilities)!.Select((p, option) => (P: p, Hit: option == i.Answer ? 1.0 : 0.0)));
        return points.GroupBy(x => Math.Min((int)(x.P * bins), bins - 1)).OrderBy(g => g.Key)
            .Select(g => (g.Average(x => x.P), g.Average(x => x.Hit), g.Count())).ToList();
    }

    private static void Reliability(string path, MethodScore score)
    {
        var plot = new Plot();
        var bins = ReliabilityBins(score.Items);
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        var scatter = plot.Add.Scatter(bins.Select(b => b.Predicted).ToArray(), bins.Select(b => b.Observed).ToArray());
        scatter.LegendText = score.Run.Method;
        scatter.MarkerSize = 8;
        foreach (var b in bins)
        {
            var label = plot.Add.Text(b.Count.ToString(Inv), b.Predicted, b.Observed);
            label.LabelFontSize = 10;
            label.OffsetY = -6;
        }
        plot.Title($"Reliability: {score.Run.Method} (point labels: forecasts per bin)");
        plot.XLabel("stated probability of an option");
        plot.YLabel("share of those options that were the answer");
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 640, 480);
    }

    private static void AccuracyByClass(string path, string metric, IReadOnlyList<MethodScore> scores)
    {
        var plot = new Plot();
        var classes = scores.SelectMany(s => s.Score.ByClass.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / Math.Max(scores.Count, 1);
        var intervals = new List<(double X, double Low, double High)>();
        for (var m = 0; m < scores.Count; m++)
        {
            var s = scores[m];
            var bars = new List<Bar>();
            for (var c = 0; c < classes.Count; c++)
            {
                if (!s.Score.ByClass.TryGetValue(classes[c], out var metrics)) continue;
                var x = c - 0.4 + width * (m + 0.5);
                bars.Add(new Bar { Position = x, Value = metrics[metric], Size = width * 0.9, FillColor = palette.GetColor(m) });
                if (s.Intervals.TryGetValue($"{classes[c]}/{metric}", out var ci)) intervals.Add((x, ci.Low, ci.High));
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = s.Run.Method;
        }
        foreach (var (x, low, high) in intervals) // drawn over the bars
        {
            var line = plot.Add.Line(x, low, x, high);
            line.LineColor = Colors.Black;
            line.LineWidth = 2;
        }
        var chance = plot.Add.HorizontalLine(0.5);
        chance.LinePattern = LinePattern.Dotted;
        chance.LineColor = Colors.Gray;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, classes.Count).Select(i => (double)i).ToArray(), classes.ToArray());
        plot.Axes.SetLimits(-0.6, classes.Count - 0.4, 0, 1);
        plot.Title($"{metric} per class with 95% bootstrap intervals (dotted: chance)");
        plot.YLabel(metric);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 720, 480);
    }

    private static string WithInterval(double value, IReadOnlyDictionary<string, (double Low, double High)> intervals, string key) =>
        intervals.TryGetValue(key, out var ci) ? $"{F(value)} [{F(ci.Low)}, {F(ci.High)}]" : F(value);

    public static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.000", Inv);
}
