using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Imagining;
using DeepImagine.Model;

namespace DeepImagine.GpuLearner.Training;

/// <summary>
/// How the model's answers on validation examples compare with the observed results, parsed by the shared step format
/// (<see cref="StepAnswer"/>). <see cref="DirectionAccuracy"/> reads the constrained answers (<see cref="ResultScoring"/>:
/// the model's own trace, then each RESULT field chosen by likelihood, so always parseable);
/// <see cref="FreeDirectionAccuracy"/> the greedy answers as written, where an unparseable one counts as wrong, over the
/// first <see cref="FreeExamples"/> examples (all, or a prefix when free answers are only sampled; so is <see cref="ParseableRate"/>).
/// <see cref="MajorityAccuracy"/> is always answering the most frequent observed direction of the same examples.
/// <see cref="Precision"/> / <see cref="Recall"/> are per observed direction, of the constrained answers (null for a
/// direction never predicted / never observed).
/// </summary>
public sealed record DirectionScore(
    int Examples,
    int FreeExamples,
    double DirectionAccuracy,
    double FreeDirectionAccuracy,
    double MajorityAccuracy,
    string MajorityDirection,
    double ParseableRate,
    double? SignificanceAccuracy,
    double? LogRatioMeanAbsoluteError,
    IReadOnlyDictionary<string, double?> Precision,
    IReadOnlyDictionary<string, double?> Recall,
    string SampleCompletion)
{
    /// <summary>What the constrained reading's scores know beyond the answers they chose (set by <see cref="DirectionEvaluator.Evaluate"/>).</summary>
    public DirectionSignal? Signal { get; init; }
}

public static class DirectionEvaluator
{
    private const int GenerationBatch = 8;

    /// <summary>The validation examples a job scores: a fixed subset (by example id), so every evaluation scores the same ones.</summary>
    public static IReadOnlyList<StepExampleRecord> ValidationSubset(IEnumerable<StepExampleRecord> validation, int count) =>
        validation.OrderBy(e => e.ExampleId).Take(count).ToList();

    /// <summary>Room for a free answer: the job's budget when set, else the longest target answer of the examples plus a margin.</summary>
    public static int AnswerBudget(JobSettings settings, ChatTokenizer tokenizer, IReadOnlyList<StepExampleRecord> examples) =>
        settings.EvalMaxNewTokens > 0 ? settings.EvalMaxNewTokens
            : examples.Max(e => tokenizer.Encode(TargetCompletion(e, settings.WithTrace)).Count) + 16;

    public static IReadOnlyList<ChatMessage> PromptMessages(StepExampleRecord example) =>
        string.IsNullOrEmpty(example.System)
            ? [new ChatMessage("user", example.Prompt)]
            : [new ChatMessage("system", example.System), new ChatMessage("user", example.Prompt)];

    /// <summary>
    /// The answer an operator learns for an example: the teacher's whole completion, or with <paramref name="withTrace"/>
    /// false only its RESULT line (an empty trace, which the format allows).
    /// </summary>
    public static string TargetCompletion(StepExampleRecord example, bool withTrace)
    {
        if (withTrace) return example.Completion;
        var result = StepAnswer.Parse(example.Completion);
        if (!result.IsParseable)
            throw new ArgumentException($"example {example.ExampleId}: completion has no valid RESULT line ({result.Error})", nameof(example));
        return StepAnswer.Format(result, "");
    }

    /// <summary>
    /// The training conversation of an example; with <paramref name="directionLossWeight"/> other than 1 the direction
    /// word of its RESULT line weighs that much in the loss (otherwise the answer's formatting and log-ratio digits,
    /// learned early, make up nearly all of it, and the one token that decides the answer little).
    /// </summary>
    public static SftExample ToSftExample(StepExampleRecord example, bool withTrace = true, double directionLossWeight = 1)
    {
        var completion = TargetCompletion(example, withTrace);
        var messages = new List<ChatMessage>(PromptMessages(example)) { new("assistant", completion) };
        if (directionLossWeight == 1) return new SftExample(messages);
        return new SftExample(messages) { Emphasis = [DirectionSpan(example, completion, directionLossWeight)] };
    }

    /// <summary>Where the direction word of the completion's (first) RESULT line is.</summary>
    private static TokenEmphasis DirectionSpan(StepExampleRecord example, string completion, double weight)
    {
        const string field = "direction=";
        var line = StepAnswer.FirstResultLineIndex(completion)
            ?? throw new ArgumentException($"example {example.ExampleId}: completion has no RESULT line to weigh", nameof(example));
        var at = completion.IndexOf(field, line, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"example {example.ExampleId}: its RESULT line has no {field}", nameof(example));
        var start = at + field.Length;
        var end = start;
        while (end < completion.Length && char.IsLetter(completion[end])) end++;
        if (end == start) throw new ArgumentException($"example {example.ExampleId}: its RESULT line has an empty direction", nameof(example));
        return new TokenEmphasis(start, end - start, weight);
    }

    /// <summary>
    /// Greedy answers (up to <paramref name="maxNewTokens"/>, stopping at the end of the turn), then each one's RESULT
    /// fields chosen by likelihood after the trace it wrote; both readings are scored. With <paramref name="freeExamples"/>
    /// below the number of examples (an operator trained without traces, whose constrained reading needs no trace),
    /// only that many are generated freely and the rest are read after an empty trace: the constrained reading of an
    /// answer is then one forward pass per field instead of a generation.
    /// </summary>
    public static DirectionScore Evaluate(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<StepExampleRecord> examples, int maxNewTokens,
        int? freeExamples = null)
    {
        var generated = Math.Clamp(freeExamples ?? examples.Count, 0, examples.Count);
        var free = new List<string>(generated);
        var constrained = new List<ScoredResult>(examples.Count);
        model.eval();
        ScoreContinuations score = (prefix, options) => TextGenerator.ScoreTextOptions(model, tokenizer, prefix, options);
        var readAfterEmptyTrace = examples.Skip(generated)
            .Select(e => ResultScoring.Choose(tokenizer.FormatChat(PromptMessages(e), addGenerationPrompt: true), "", null, score)).ToList();
        for (var start = 0; start < generated; start += GenerationBatch)
        {
            var contexts = examples.Skip(start).Take(Math.Min(GenerationBatch, generated - start))
                .Select(e => tokenizer.FormatChat(PromptMessages(e), addGenerationPrompt: true)).ToList();
            var results = TextGenerator.Generate(model, tokenizer, contexts, new GenerationOptions
            {
                MaxNewTokens = maxNewTokens,
                Temperature = 0,
                StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId],
            });
            for (var i = 0; i < results.Count; i++)
            {
                var text = results[i].Text;
                free.Add(text);
                var parsed = StepAnswer.Parse(text);
                constrained.Add(ResultScoring.Choose(contexts[i], ResultScoring.TraceOf(text), parsed.LogRatio, score));
            }
        }
        constrained.AddRange(readAfterEmptyTrace);
        return Score(examples, free, constrained.Select(c => c.Completion).ToList()) with
        {
            Signal = DirectionSignal.Of(examples, constrained.Select(c => c.DirectionProbabilities).ToList()),
        };
    }

    /// <summary>
    /// Scores completions against their examples (separate from generation, so it is tested on its own): the free ones
    /// belong to the first examples (as many as given, at least one), the constrained ones to all.
    /// </summary>
    public static DirectionScore Score(IReadOnlyList<StepExampleRecord> examples, IReadOnlyList<string> freeCompletions, IReadOnlyList<string> constrainedCompletions)
    {
        if (examples.Count == 0) throw new ArgumentException("no validation examples to score", nameof(examples));
        if (freeCompletions.Count == 0 || freeCompletions.Count > examples.Count)
            throw new ArgumentException($"{freeCompletions.Count} free completions for {examples.Count} examples (1 to {examples.Count} expected)", nameof(freeCompletions));
        if (constrainedCompletions.Count != examples.Count) throw new ArgumentException($"{constrainedCompletions.Count} constrained completions for {examples.Count} examples", nameof(constrainedCompletions));
        int freeCorrect = 0, correct = 0, parseable = 0, significanceKnown = 0, significanceCorrect = 0, ratioKnown = 0;
        double ratioError = 0;
        var words = ResultScoring.Directions.Select(StepFormat.Word).ToList();
        var predicted = words.ToDictionary(w => w, _ => 0);
        var observed = words.ToDictionary(w => w, _ => 0);
        var hits = words.ToDictionary(w => w, _ => 0);
        for (var i = 0; i < examples.Count; i++)
        {
            var expected = examples[i];
            var expectedWord = expected.ExpectedDirection.ToLowerInvariant();
            if (i < freeCompletions.Count)
            {
                var free = StepAnswer.Parse(freeCompletions[i]);
                if (free.IsParseable) parseable++;
                if (free.IsParseable && StepFormat.Word(free.Direction) == expectedWord) freeCorrect++;
            }

            var answer = StepAnswer.Parse(constrainedCompletions[i]);
            if (!answer.IsParseable) throw new ArgumentException($"constrained completion {i} is unparseable ({answer.Error}); constrained answers always parse", nameof(constrainedCompletions));
            var word = StepFormat.Word(answer.Direction);
            predicted[word]++;
            if (observed.ContainsKey(expectedWord)) observed[expectedWord]++;
            if (word == expectedWord)
            {
                correct++;
                hits[word]++;
            }
            if (expected.ExpectedSignificant is { } significant)
            {
                significanceKnown++;
                if (answer.Significant == significant) significanceCorrect++;
            }
            if (expected.ExpectedLogRatio is { } ratio && answer.LogRatio is { } guess)
            {
                ratioKnown++;
                ratioError += Math.Abs(guess - ratio);
            }
        }
        var majority = examples.GroupBy(e => e.ExpectedDirection.ToLowerInvariant())
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First();
        return new DirectionScore(
            examples.Count,
            freeCompletions.Count,
            (double)correct / examples.Count,
            (double)freeCorrect / freeCompletions.Count,
            (double)majority.Count() / examples.Count,
            majority.Key,
            (double)parseable / freeCompletions.Count,
            significanceKnown == 0 ? null : (double)significanceCorrect / significanceKnown,
            ratioKnown == 0 ? null : ratioError / ratioKnown,
            words.ToDictionary(w => w, w => predicted[w] == 0 ? (double?)null : (double)hits[w] / predicted[w]),
            words.ToDictionary(w => w, w => observed[w] == 0 ? (double?)null : (double)hits[w] / observed[w]),
            freeCompletions[0]);
    }
}
