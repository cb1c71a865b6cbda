using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Model;

namespace DeepImagine.GpuLearner.Training;

/// <summary>
/// How the model's greedy answers on validation examples compare with the observed results, parsed by the shared
/// step format (<see cref="StepAnswer"/>). <see cref="MajorityAccuracy"/> is the baseline of always answering the
/// most frequent observed direction of the same examples; an unparseable answer counts as wrong.
/// </summary>
public sealed record DirectionScore(
    int Examples,
    double DirectionAccuracy,
    double MajorityAccuracy,
    string MajorityDirection,
    double ParseableRate,
    double? SignificanceAccuracy,
    double? LogRatioMeanAbsoluteError,
    string SampleCompletion);

public static class DirectionEvaluator
{
    private const int GenerationBatch = 8;

    public static IReadOnlyList<ChatMessage> PromptMessages(StepExampleRecord example) =>
        string.IsNullOrEmpty(example.System)
            ? [new ChatMessage("user", example.Prompt)]
            : [new ChatMessage("system", example.System), new ChatMessage("user", example.Prompt)];

    public static SftExample ToSftExample(StepExampleRecord example) =>
        new([.. PromptMessages(example), new ChatMessage("assistant", example.Completion)]);

    public static DirectionScore Evaluate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<StepExampleRecord> examples, int maxNewTokens)
    {
        var completions = new List<string>(examples.Count);
        model.eval();
        for (var start = 0; start < examples.Count; start += GenerationBatch)
        {
            var batch = examples.Skip(start).Take(GenerationBatch)
                .Select(e => tokenizer.FormatChat(PromptMessages(e), addGenerationPrompt: true)).ToList();
            var results = TextGenerator.Generate(model, tokenizer, batch, new GenerationOptions
            {
                MaxNewTokens = maxNewTokens,
                Temperature = 0,
                StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId],
            });
            completions.AddRange(results.Select(r => r.Text));
        }
        return Score(examples, completions);
    }

    /// <summary>Scores completions against their examples (separate from generation, so it is tested on its own).</summary>
    public static DirectionScore Score(IReadOnlyList<StepExampleRecord> examples, IReadOnlyList<string> completions)
    {
        if (examples.Count == 0) throw new ArgumentException("no validation examples to score", nameof(examples));
        if (completions.Count != examples.Count) throw new ArgumentException($"{completions.Count} completions for {examples.Count} examples", nameof(completions));
        int correct = 0, parseable = 0, significanceKnown = 0, significanceCorrect = 0, ratioKnown = 0;
        double ratioError = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            var answer = StepAnswer.Parse(completions[i]);
            var expected = examples[i];
            if (answer.IsParseable) parseable++;
            if (answer.IsParseable && string.Equals(answer.Direction.ToString(), expected.ExpectedDirection, StringComparison.OrdinalIgnoreCase)) correct++;
            if (expected.ExpectedSignificant is { } significant)
            {
                significanceKnown++;
                if (answer.Significant == significant) significanceCorrect++;
            }
            if (expected.ExpectedLogRatio is { } ratio && answer.LogRatio is { } predicted)
            {
                ratioKnown++;
                ratioError += Math.Abs(predicted - ratio);
            }
        }
        var majority = examples.GroupBy(e => e.ExpectedDirection.ToLowerInvariant())
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First();
        return new DirectionScore(
            examples.Count,
            (double)correct / examples.Count,
            (double)majority.Count() / examples.Count,
            majority.Key,
            (double)parseable / examples.Count,
            significanceKnown == 0 ? null : (double)significanceCorrect / significanceKnown,
            ratioKnown == 0 ? null : ratioError / ratioKnown,
            completions[0]);
    }
}
