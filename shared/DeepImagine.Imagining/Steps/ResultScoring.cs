namespace DeepImagine.Imagining;

/// <summary>
/// Log-likelihood of each continuation after the same text, under some model (higher is more likely). The step format
/// stays free of any model: the caller (evaluation, predictor) supplies its model through this.
/// </summary>
public delegate IReadOnlyList<double> ScoreContinuations(string text, IReadOnlyList<string> continuations);

/// <summary>The same for several texts at once (one row each, same continuations), so a model can score them in one batch.</summary>
public delegate IReadOnlyList<IReadOnlyList<double>> ScoreContinuationsBatch(IReadOnlyList<string> texts, IReadOnlyList<string> continuations);

/// <summary>One answer to read: the chat text up to the assistant's answer, the model's trace, the free answer's log-ratio.</summary>
public sealed record AnswerToScore(string Context, string Trace, double? LogRatio);

/// <summary>An answer whose RESULT fields were chosen among the allowed values by likelihood: always parseable.</summary>
public sealed record ScoredResult(ImaginedResult Result, IReadOnlyDictionary<ResultDirection, double> DirectionProbabilities, string Completion)
{
    /// <summary>Probabilities of significant=yes / no / unknown relative to each other.</summary>
    public double SignificantYes { get; init; }
    public double SignificantNo { get; init; }
    public double SignificanceUnknown { get; init; }
}

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
        ArgumentNullException.ThrowIfNull(score);
        return ChooseAll([new AnswerToScore(context, trace, logRatio)], (texts, options) => texts.Select(t => score(t, options)).ToList())[0];
    }

    /// <summary>
    /// <see cref="Choose"/> for several answers, each field asked of the scorer once for all of them (a model scores the
    /// rows in one batch).
    /// </summary>
    public static IReadOnlyList<ScoredResult> ChooseAll(IReadOnlyList<AnswerToScore> answers, ScoreContinuationsBatch score)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(score);
        if (answers.Count == 0) return [];
        var bodies = answers.Select(a =>
        {
            ArgumentNullException.ThrowIfNull(a.Context);
            ArgumentNullException.ThrowIfNull(a.Trace);
            return a.Trace.Trim();
        }).ToList();
        var answerStarts = answers.Select((a, i) => a.Context + (bodies[i].Length == 0 ? "" : bodies[i] + "\n")).ToList();

        // Each field's prefix is cut from the line the format itself writes, so the wording cannot drift.
        var directionLine = StepAnswer.ResultLine(ImaginedResult.Of(ResultDirection.Higher, null, null));
        var directionPrefix = directionLine[..(directionLine.IndexOf(DirectionField, StringComparison.Ordinal) + DirectionField.Length)];
        var words = Directions.Select(StepFormat.Word).ToList();
        var directionScores = Checked(score(answerStarts.Select(s => s + directionPrefix).ToList(), words), answers.Count, words.Count, "direction");
        var directions = directionScores.Select(d => Directions[ArgMax(d)]).ToList();

        var rounded = answers.Select(a => a.LogRatio is { } r && double.IsFinite(r) ? StepAnswer.RoundLogRatio(r) : (double?)null).ToList();
        var significancePrefixes = answers.Select((_, i) =>
        {
            var withDirection = StepAnswer.ResultLine(ImaginedResult.Of(directions[i], rounded[i], null));
            return answerStarts[i] + withDirection[..(withDirection.IndexOf(SignificantField, StringComparison.Ordinal) + SignificantField.Length)];
        }).ToList();
        var significanceWords = Significance.Select(s => s.Word).ToList();
        var significanceScores = Checked(score(significancePrefixes, significanceWords), answers.Count, significanceWords.Count, "significant");

        return answers.Select((_, i) =>
        {
            var probabilities = Softmax(directionScores[i]);
            var significance = Softmax(significanceScores[i]);
            var result = ImaginedResult.Of(directions[i], rounded[i], Significance[ArgMax(significanceScores[i])].Value);
            return new ScoredResult(result,
                Directions.Select((d, k) => (d, p: probabilities[k])).ToDictionary(x => x.d, x => x.p),
                StepAnswer.Format(result, bodies[i]))
            {
                SignificantYes = significance[0],
                SignificantNo = significance[1],
                SignificanceUnknown = significance[2],
            };
        }).ToList();
    }

    private static IReadOnlyList<IReadOnlyList<double>> Checked(IReadOnlyList<IReadOnlyList<double>> scores, int rows, int expected, string field)
    {
        if (scores.Count != rows) throw new InvalidOperationException($"the scorer returned {scores.Count} rows of {field} scores for {rows} answers");
        foreach (var row in scores)
        {
            if (row.Count != expected) throw new InvalidOperationException($"the scorer returned {row.Count} scores for {expected} {field} options");
            if (row.Any(double.IsNaN)) throw new InvalidOperationException($"the scorer returned NaN for a {field} option");
        }
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
