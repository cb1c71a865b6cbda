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

/// <summary>One step's answer: the generated completion (trace + RESULT line), what it parses to, and the scored distribution.</summary>
public sealed record StepOutput(string Completion, ImaginedResult Parsed, StepDistribution Distribution);

/// <summary>
/// Runs the steps of several chains on one operator at once: greedy batched generation with the KV cache (the trace and
/// RESULT line, at most <c>maxNewTokens</c>), then, after each step's own trace, the log-probabilities of every value
/// of the RESULT line's direction and of significant=yes/no in two batched forward passes. Those give real
/// probabilities where the generated line gives only one value.
/// </summary>
public static class StepRunner
{
    // Scored with their '=': the tokenizer's pre-tokenizer keeps "=higher" together, so "direction" | "=higher" splits the
    // line exactly where it splits when the whole RESULT line is encoded (as in training); "direction=" | "higher" would not.
    private static readonly string[] Directions = ["=higher", "=lower", "=same"];
    private static readonly string[] Significance = ["=yes", "=no"];

    public static IReadOnlyList<StepOutput> Run(StepOperator op, IReadOnlyList<StepPrompt> prompts, int maxNewTokens, StepTimings? timings = null)
    {
        if (prompts.Count == 0) return [];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tokenizer = op.Tokenizer;
        var chats = prompts.Select(p => tokenizer.FormatChat([new ChatMessage("system", p.System), new ChatMessage("user", p.User)], addGenerationPrompt: true)).ToList();
        var generated = TextGenerator.Generate(op.Model, tokenizer, chats, new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            Temperature = 0,
            StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId],
        });

        timings?.AddGeneration(clock.Elapsed.TotalMilliseconds, generated.Sum(g => g.Tokens.Count));
        clock.Restart();
        var traces = generated.Select(g => StepAnswer.Trace(g.Text)).ToList();
        var parsed = generated.Select(g => StepAnswer.Parse(g.Text)).ToList();
        var directionPrefixes = chats.Select((chat, i) => chat + (traces[i].Length > 0 ? traces[i] + "\n" : "") + "RESULT: direction").ToList();
        var direction = Score(op, directionPrefixes, Directions);
        var significancePrefixes = directionPrefixes.Select((prefix, i) =>
        {
            var best = Directions[Array.IndexOf(direction[i], direction[i].Max())];
            var logRatio = parsed[i] is { IsParseable: true, LogRatio: { } r } ? r.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "unknown";
            return $"{prefix}{best} log_ratio={logRatio} significant";
        }).ToList();
        var significance = Score(op, significancePrefixes, Significance);
        timings?.AddScoring(clock.Elapsed.TotalMilliseconds);
        return generated.Select((g, i) => new StepOutput(g.Text, parsed[i],
            new StepDistribution(direction[i][0], direction[i][1], direction[i][2], significance[i][0]))).ToList();
    }

    /// <summary>For each prefix, the softmax over the options of the options' summed token log-probabilities; one forward pass for all.</summary>
    private static double[][] Score(StepOperator op, IReadOnlyList<string> prefixes, IReadOnlyList<string> options)
    {
        var prefixIds = prefixes.Select(p => (IReadOnlyList<int>)op.Tokenizer.Encode(p)).ToList();
        var optionIds = options.Select(o => (IReadOnlyList<int>)op.Tokenizer.Encode(o)).ToList();
        var prompts = prefixIds.SelectMany(p => options.Select(_ => p)).ToList();
        var completions = prefixIds.SelectMany(_ => optionIds).ToList();
        double[] sums;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            op.Model.eval();
            var (logProbs, _) = TokenLogProbs.OfCompletions(op.Model, prompts, completions, op.Tokenizer.PadId);
            sums = logProbs.sum(1, type: ScalarType.Float64).cpu().data<double>().ToArray();
        }
        return prefixes.Select((_, row) =>
        {
            var values = sums.Skip(row * options.Count).Take(options.Count).ToArray();
            var max = values.Max();
            var exp = values.Select(v => Math.Exp(v - max)).ToArray();
            var total = exp.Sum();
            return exp.Select(e => e / total).ToArray();
        }).ToArray();
    }
}
