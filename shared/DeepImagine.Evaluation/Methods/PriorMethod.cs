namespace DeepImagine.Evaluation.Methods;

/// <summary>
/// The share of each answer per question class in the knowledge, with one pseudo-count per option so an answer never
/// seen still gets some probability; a class never seen gets the uniform distribution.
/// </summary>
public sealed class PriorMethod : IOutcomeMethod
{
    private readonly Dictionary<(string Class, int Options), double[]> _priors = [];

    public string Name => "prior";

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge)
    {
        _priors.Clear();
        foreach (var group in knowledge.GroupBy(k => (k.Question.QuestionClass, k.Question.OptionCount)))
        {
            var counts = Enumerable.Repeat(1.0, group.Key.OptionCount).ToArray();
            foreach (var item in group) counts[item.Answer]++;
            var total = counts.Sum();
            _priors[group.Key] = counts.Select(c => c / total).ToArray();
        }
    }

    public MethodAnswer Predict(EvalQuestion question) =>
        new(_priors.TryGetValue((question.QuestionClass, question.OptionCount), out var prior)
            ? (double[])prior.Clone()
            : Enumerable.Repeat(1.0 / question.OptionCount, question.OptionCount).ToArray());
}
