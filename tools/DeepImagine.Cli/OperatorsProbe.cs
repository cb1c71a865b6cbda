using System.Globalization;
using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.GpuLearner.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench operators --probe</c>: how far the step prompt's words alone predict the direction, as a ceiling for what an
/// operator can learn from the same text. Per factor, multinomial logistic regression (ML.NET) on word and character
/// n-grams of the prompt's current state, its "from" and its "to" (featurized apart, so a change and its reverse differ),
/// trained on the train split and scored on the operator's own validation subset (the first <c>eval_examples</c> by id)
/// and on the whole validation split, each against the majority direction of the same examples.
/// </summary>
internal static class OperatorsProbe
{
    public static async Task RunAsync(IDatasetSource datasets, Guid datasetId, IReadOnlyList<string> factors, int evalExamples, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: 1);
        foreach (var factor in factors)
        {
            var train = await datasets.ExamplesAsync(datasetId, JobValidator.Train, factor, cancellationToken);
            var validation = await datasets.ExamplesAsync(datasetId, JobValidator.Validation, factor, cancellationToken);
            if (train.Count == 0 || validation.Count == 0)
                throw new ArgumentException($"factor {factor}: the dataset has {train.Count} train and {validation.Count} validation examples; the probe needs both");
            var subset = DirectionEvaluator.ValidationSubset(validation, evalExamples);
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(ProbeRow.Direction))
                .Append(ml.Transforms.Text.FeaturizeText("StateFeatures", nameof(ProbeRow.State)))
                .Append(ml.Transforms.Text.FeaturizeText("FromFeatures", nameof(ProbeRow.From)))
                .Append(ml.Transforms.Text.FeaturizeText("ToFeatures", nameof(ProbeRow.To)))
                .Append(ml.Transforms.Concatenate("Features", "StateFeatures", "FromFeatures", "ToFeatures"))
                .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDirection", "PredictedLabel"));
            var model = pipeline.Fit(ml.Data.LoadFromEnumerable(train.Select(ProbeRow.Of)));
            var (subsetAcc, subsetMajority, subsetRecall) = Score(ml, model, subset);
            var (allAcc, allMajority, allRecall) = Score(ml, model, validation);
            Console.WriteLine($"probe factor={factor} train={train.Count} subset: acc={F(subsetAcc)} majority_acc={F(subsetMajority)} recall(h/l/s)={subsetRecall} n={subset.Count}; "
                + $"validation: acc={F(allAcc)} majority_acc={F(allMajority)} recall(h/l/s)={allRecall} n={validation.Count}");
        }
    }

    private static (double Accuracy, double Majority, string Recall) Score(MLContext ml, ITransformer model, IReadOnlyList<StepExampleRecord> examples)
    {
        var predicted = ml.Data.CreateEnumerable<ProbePrediction>(model.Transform(ml.Data.LoadFromEnumerable(examples.Select(ProbeRow.Of))), reuseRowObject: false)
            .Select(p => p.PredictedDirection).ToList();
        var expected = examples.Select(e => e.ExpectedDirection.ToLowerInvariant()).ToList();
        var correct = expected.Where((d, i) => predicted[i] == d).Count();
        var majority = expected.GroupBy(d => d).Max(g => g.Count());
        var recall = string.Join('/', new[] { "higher", "lower", "same" }.Select(d =>
        {
            var observed = expected.Count(e => e == d);
            return observed == 0 ? "na" : F((double)expected.Where((e, i) => e == d && predicted[i] == d).Count() / observed);
        }));
        return ((double)correct / examples.Count, (double)majority / examples.Count, recall);
    }

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private sealed class ProbeRow
    {
        public string Direction { get; set; } = "";
        public string State { get; set; } = "";
        public string From { get; set; } = "";
        public string To { get; set; } = "";

        /// <summary>The prompt cut where the step format puts the change: "Change (factor)", then its "- From:" and "- To:" lines.</summary>
        public static ProbeRow Of(StepExampleRecord example)
        {
            var prompt = example.Prompt;
            var change = prompt.IndexOf("\nChange (", StringComparison.Ordinal);
            var state = change < 0 ? prompt : prompt[..change];
            var rest = change < 0 ? "" : prompt[change..];
            return new ProbeRow
            {
                Direction = example.ExpectedDirection.ToLowerInvariant(),
                State = state,
                From = Line(rest, "- From:"),
                To = Line(rest, "- To:"),
            };
        }

        private static string Line(string text, string start)
        {
            var at = text.IndexOf(start, StringComparison.Ordinal);
            if (at < 0) return "";
            var end = text.IndexOf('\n', at);
            return (end < 0 ? text[at..] : text[at..end])[start.Length..].Trim();
        }
    }

    private sealed class ProbePrediction
    {
        public string PredictedDirection { get; set; } = "";
    }
}
