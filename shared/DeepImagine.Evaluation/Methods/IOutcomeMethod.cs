namespace DeepImagine.Evaluation.Methods;

/// <summary>
/// An outcome-prediction method: fitted once on the knowledge (labelled questions), then asked each question alone.
/// A method that cannot answer a question returns <see cref="MethodAnswer.Unanswered"/>; the harness then gives the
/// class prior and counts it.
/// </summary>
public interface IOutcomeMethod
{
    string Name { get; }

    void Fit(IReadOnlyList<LabelledQuestion> knowledge);

    MethodAnswer Predict(EvalQuestion question);
}

/// <summary>A method that answers many questions faster together (a language model batches its forward passes).</summary>
public interface IBatchOutcomeMethod : IOutcomeMethod
{
    /// <summary>One answer per question, in order; each question is still answered on its own (no answers are seen).</summary>
    IReadOnlyList<MethodAnswer> PredictAll(IReadOnlyList<EvalQuestion> questions);
}

/// <summary>A method name that is known but cannot run here (no trained model or predictor), with the reason to print.</summary>
public sealed class MethodUnavailableException(string method, string reason)
    : Exception($"method '{method}' is not available: {reason}")
{
    public string Method { get; } = method;
}
