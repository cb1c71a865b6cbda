using DeepImagine.Evaluation.Methods;

namespace DeepImagine.Evaluation;

/// <summary>One method's probabilities for one question; <see cref="Note"/> says why the class prior stands in, if it does.</summary>
public sealed record Prediction(EvalQuestion Question, double[] Probabilities, string? Note);

/// <summary>Every question's prediction by one method, with how many fell back to the class prior and why.</summary>
public sealed record MethodRun(string Method, IReadOnlyList<Prediction> Predictions)
{
    public int Fallbacks => Predictions.Count(p => p.Note is not null);

    public IReadOnlyDictionary<string, int> FallbackReasons =>
        Predictions.Where(p => p.Note is not null).GroupBy(p => p.Note!).ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>Fits a method and predicts every question; only questions (never answers) reach <see cref="IOutcomeMethod.Predict"/>.</summary>
public static class EvaluationRunner
{
    /// <summary>Fit on train + knowledge, predict each question of <paramref name="predict"/>.</summary>
    public static MethodRun Run(Func<IOutcomeMethod> create, IReadOnlyList<LabelledQuestion> train, IReadOnlyList<EvalQuestion> predict)
    {
        var method = create();
        method.Fit(train);
        var prior = new PriorMethod();
        prior.Fit(train);
        var answers = method is IBatchOutcomeMethod batch ? batch.PredictAll(predict) : predict.Select(method.Predict).ToList();
        var predictions = predict.Select((q, i) =>
        {
            var answer = answers[i];
            if (Metrics.Normalised(answer.Probabilities) is { } p && p.Length == q.OptionCount) return new Prediction(q, p, null);
            var reason = answer.Reason ?? (answer.Probabilities is null ? "no probabilities" : $"{answer.Probabilities.Length} probabilities for {q.OptionCount} options");
            return new Prediction(q, prior.Predict(q).Probabilities!, reason);
        }).ToList();
        return new MethodRun(method.Name, predictions);
    }

    /// <summary>
    /// Grouped K-fold: each fold's questions are predicted by the method fitted on the other folds plus
    /// <paramref name="knowledge"/>; the result covers every question of <paramref name="train"/> once, in its order.
    /// </summary>
    public static MethodRun CrossValidate(Func<IOutcomeMethod> create, IReadOnlyList<LabelledQuestion> train, IReadOnlyList<LabelledQuestion> knowledge, int k, int seed)
    {
        var folds = GroupedFolds.Assign(train.Select(t => t.Question.Group), k, seed);
        var byKey = new Dictionary<LabelledQuestion, Prediction>(ReferenceEqualityComparer.Instance);
        string? name = null;
        for (var fold = 0; fold < k; fold++)
        {
            var inFold = train.Where(t => folds[t.Question.Group] == fold).ToList();
            var fitOn = train.Where(t => folds[t.Question.Group] != fold).Concat(knowledge).ToList();
            var run = Run(create, fitOn, inFold.Select(t => t.Question).ToList());
            name = run.Method;
            for (var i = 0; i < inFold.Count; i++) byKey[inFold[i]] = run.Predictions[i];
        }
        return new MethodRun(name!, train.Select(t => byKey[t]).ToList());
    }
}
