namespace DeepImagine.Imagining;

/// <summary>
/// Log-likelihood of each continuation after the same text, under some model (higher is more likely). The step format
/// stays free of any model: the caller (evaluation, predictor) supplies its model through this.
/// </summary>
public delegate IReadOnlyList<double> ScoreContinuations(string text, IReadOnlyList<string> continuations);

/// <summary>An answer whose RESULT fields were chosen among the allowed values by likelihood: always parseable.</summary>
public sealed record ScoredResult(ImaginedResult Result, IReadOnlyDictionary<ResultDirection, double> DirectionProbabilities, string Completion);

/// <summary>
/// Constrained reading of a step's answer: keep the model's own reasoning (the trace before its first RESULT line, or
/// all of it when it never wrote one), then write <c>RESULT: direction=</c> and choose the direction among higher /
/// lower / same by the model's likelihood of each, then <c>significant=</c> the same way. The wording comes from
/// <see cref="StepAnswer.ResultLine"/>, so a scored answer is exactly a line the format writes.
/// </summary>
public static class ResultScoring
{
    public static readonly IReadOnlyList<ResultDirection> Directions = [ResultDirection.Higher, ResultDirection.Lower, ResultDirection.Same];
    private static readonly (bool? Value, string Word)[] Significance = [(true, "yes"), (false, "no"), (null, "unknown")];
    private const string DirectionField = "direction=";
    private const string SignificantField = "significant=";

    /// <summary>The reasoning a free completion contributes: the text before its first RESULT line (a looping model may write several).</summary>
    public static string TraceOf(string freeCompletion)
    {
        ArgumentNullException.ThrowIfNull(freeCompletion);
        var index = StepAnswer.FirstResultLineIndex(freeCompletion);
        return (index is { } i ? freeCompletion[..i] : freeCompletion).Trim();
    }

    /// <summary>
    /// Chooses the RESULT fields after <paramref name="context"/> (the chat text up to the assistant's answer) and the
    /// trace: direction by likelihood; log-ratio as given (the free answer's, when it had one) or unknown; significance by
    /// likelihood after that.
    /// </summary>
    public static ScoredResult Choose(string context, string trace, double? logRatio, ScoreContinuations score)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(score);
        var body = trace.Trim();
        var answerStart = context + (body.Length == 0 ? "" : body + "\n");

        // Each field's prefix is cut from the line the format itself writes, so the wording cannot drift.
        var directionLine = StepAnswer.ResultLine(ImaginedResult.Of(ResultDirection.Higher, null, null));
        var directionPrefix = directionLine[..(directionLine.IndexOf(DirectionField, StringComparison.Ordinal) + DirectionField.Length)];
        var words = Directions.Select(StepFormat.Word).ToList();
        var directionScores = Checked(score(answerStart + directionPrefix, words), words.Count, "direction");
        var best = ArgMax(directionScores);
        var direction = Directions[best];
        var probabilities = Softmax(directionScores);

        var rounded = logRatio is { } r && double.IsFinite(r) ? StepAnswer.RoundLogRatio(r) : (double?)null;
        var withDirection = StepAnswer.ResultLine(ImaginedResult.Of(direction, rounded, null));
        var significancePrefix = withDirection[..(withDirection.IndexOf(SignificantField, StringComparison.Ordinal) + SignificantField.Length)];
        var significanceWords = Significance.Select(s => s.Word).ToList();
        var significanceScores = Checked(score(answerStart + significancePrefix, significanceWords), significanceWords.Count, "significant");
        var significant = Significance[ArgMax(significanceScores)].Value;

        var result = ImaginedResult.Of(direction, rounded, significant);
        return new ScoredResult(result,
            Directions.Select((d, i) => (d, p: probabilities[i])).ToDictionary(x => x.d, x => x.p),
            StepAnswer.Format(result, body));
    }

    private static IReadOnlyList<double> Checked(IReadOnlyList<double> scores, int expected, string field)
    {
        if (scores.Count != expected) throw new InvalidOperationException($"the scorer returned {scores.Count} scores for {expected} {field} options");
        if (scores.Any(double.IsNaN)) throw new InvalidOperationException($"the scorer returned NaN for a {field} option");
        return scores;
    }

    private static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double[] Softmax(IReadOnlyList<double> values)
    {
        var max = values.Max();
        var exp = values.Select(v => Math.Exp(v - max)).ToArray();
        var total = exp.Sum();
        return exp.Select(e => e / total).ToArray();
    }
}
