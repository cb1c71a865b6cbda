using DeepImagine.Persistence;
using DeepImagine.Imagining;
using DeepImagine.Model;
using DeepImagine.Predictor.Engine;
using static TorchSharp.torch;

namespace DeepImagine.Predictor.Operators;

/// <summary>Where a prediction's time went (milliseconds), so a benchmark can say what dominates.</summary>
public sealed class StepTimings
{
    public double RetrievalMs { get; set; }
    public double GenerationMs { get; private set; }
    public double ScoringMs { get; private set; }
    public int GeneratedTokens { get; private set; }
    public int Batches { get; private set; }

    public void AddGeneration(double ms, int tokens)
    {
        GenerationMs += ms;
        GeneratedTokens += tokens;
        Batches++;
    }

    public void AddScoring(double ms) => ScoringMs += ms;
}

/// <summary>One step's answer: the read completion (the model's trace + the RESULT line chosen by likelihood), what it parses to, and the scored distribution.</summary>
public sealed record StepOutput(string Completion, ImaginedResult Parsed, StepDistribution Distribution, int GeneratedTokens);

/// <summary>
/// Runs the steps of several chains on one operator at once: greedy batched generation with the KV cache of the trace
/// (at most <c>maxNewTokens</c>; a row stops as soon as its RESULT line begins), then the constrained reading every trained operator is validated with
/// (<see cref="ResultScoring"/>: after the step's own trace, <c>RESULT: direction=</c> then <c>significant=</c>, each
/// field's values by likelihood) scored on the generation's own cache: only the RESULT prefix is fed, never prompt and
/// trace again.
/// </summary>
public static class StepRunner
{
    public static IReadOnlyList<StepOutput> Run(StepOperator op, IReadOnlyList<StepPrompt> prompts, int maxNewTokens, StepTimings? timings = null)
    {
        if (prompts.Count == 0) return [];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tokenizer = op.Tokenizer;
        var chats = prompts.Select(p => tokenizer.FormatChat([new ChatMessage("system", p.System), new ChatMessage("user", p.User)], addGenerationPrompt: true)).ToList();
        var encoded = chats.Select(c => (IReadOnlyList<int>)tokenizer.Encode(c)).ToList();
        // Every step prompt starts with the same system turn: its keys and values are computed once per operator.
        var prefix = prompts.All(p => p.System == prompts[0].System) ? op.SystemPrefix(prompts[0].System) : null;
        if (prefix is not null && !TextGenerator.Extends(prefix.Tokens, encoded)) prefix = null;
        using var session = TextGenerator.Start(op.Model, tokenizer, encoded, new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            Temperature = 0,
            StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId],
            // The trace ends where the RESULT line begins and that line's fields are chosen by likelihood below, so
            // writing it out would be wasted work.
            StopPattern = StepAnswer.ResultLineStart,
        }, prefix);
        var generated = session.Results;
        timings?.AddGeneration(clock.Elapsed.TotalMilliseconds, generated.Sum(g => g.Tokens.Count));
        clock.Restart();
        // Generation stopped where the RESULT line begins, so there is no free log-ratio: the read line says unknown (the
        // state is carried by direction and significance alone).
        var answers = generated.Select((g, i) => new AnswerToScore(chats[i], ResultScoring.TraceOf(g.Text), null)).ToList();
        var scored = ResultScoring.ChooseAll(answers, session.ScoreTextOptions);
        timings?.AddScoring(clock.Elapsed.TotalMilliseconds);
        // The completion is stored (PostgreSQL text and jsonb refuse NUL); the scores were read on the exact tokens.
        return scored.Select((s, i) => new StepOutput(StorableText.Of(s.Completion), s.Result, new StepDistribution(
            s.DirectionProbabilities[ResultDirection.Higher], s.DirectionProbabilities[ResultDirection.Lower], s.DirectionProbabilities[ResultDirection.Same],
            // "unknown" says nothing about significance: p(yes) among the answers that say something.
            s.SignificantYes / Math.Max(s.SignificantYes + s.SignificantNo, 1e-12)), generated[i].Tokens.Count)).ToList();
    }
}
