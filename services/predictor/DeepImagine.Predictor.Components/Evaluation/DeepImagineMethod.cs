using System.Globalization;
using DeepImagine.Evaluation;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Model.Store;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Evaluation;

/// <summary>
/// The evaluation harness's <c>deepimagine</c> method: the predictor's engine in process. Its anchors are exactly the
/// knowledge the harness fits it on (the fold's training questions and the known-answer questions built from the
/// bundled trials), regrouped into their items; a question the engine can only answer with the class prior is
/// returned unanswered, so the harness counts it as a fallback.
/// </summary>
public sealed class DeepImagineMethod(OperatorRegistry operators, PredictorOptions options) : IOutcomeMethod
{
    public const string MethodName = "deepimagine";

    private PredictionEngine? engine;

    public string Name => MethodName;

    /// <summary>The method factory for <c>evaluate --methods deepimagine</c>; unavailable (with the reason) when the store has no base model.</summary>
    public static Func<IOutcomeMethod> Factory(string modelStore, PredictorOptions options)
    {
        options.Validate();
        var store = new ModelStore(modelStore);
        if (store.Find(options.BaseModel) is null)
            throw new MethodUnavailableException(MethodName, $"the model store '{store.Root}' has no '{options.BaseModel}' model (run make train, or give --model-store)");
        var registry = new OperatorRegistry(store, options.BaseModel, maxBatchRows: options.MaxBatchRows);
        return () => new DeepImagineMethod(registry, options);
    }

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge)
    {
        var items = knowledge.Where(k => k.Question.Item is not null)
            .GroupBy(k => (k.Question.Item!.NctId, k.Question.Item.EndpointKey))
            .Select(g =>
            {
                var item = g.First().Question.Item!;
                var answers = g.ToDictionary(k => int.Parse(k.Question.Id[2], CultureInfo.InvariantCulture), k => k.Answer);
                var answered = item with { Questions = item.Questions.Select((q, i) => q with { AnswerIndex = answers.TryGetValue(i, out var a) ? a : null }).ToList() };
                return new KnowledgeItem(answered, null, null);
            }).ToList();
        engine = new PredictionEngine(new InMemoryAnchorSource(items), operators, options);
    }

    public MethodAnswer Predict(EvalQuestion question)
    {
        if (engine is null) throw new InvalidOperationException("Fit the method before Predict");
        if (question.Item is null) return MethodAnswer.Unanswered("the question has no CT Open item (deepimagine answers CT Open questions)");
        var index = int.Parse(question.Id[2], CultureInfo.InvariantCulture);
        var prediction = engine.PredictAsync(new PredictionTarget(question.Item), index, CancellationToken.None).GetAwaiter().GetResult();
        return prediction.FallbackReason is { } reason ? MethodAnswer.Unanswered(reason) : new MethodAnswer(prediction.Probabilities);
    }
}
