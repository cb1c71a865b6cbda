namespace DeepImagine.Evaluation.Methods;

/// <summary>
/// The share of each answer per question class in the benchmark's own training questions, with one pseudo-count per
/// option so an answer never seen still gets some probability. Questions built from stored trials count only for a
/// class the training questions lack (their answers are distributed differently); a class never seen is uniform.
/// </summary>
public sealed class PriorMethod : IOutcomeMethod
{
    private readonly Dictionary<(string Class, int Options), double[]> _priors = [];

    public string Name => "prior";

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge)
    {
        _priors.Clear();
        foreach (var all in knowledge.GroupBy(k => (k.Question.QuestionClass, k.Question.OptionCount)))
        {
            var group = all.Any(k => !k.Built) ? all.Where(k => !k.Built).ToList() : all.ToList();
            var key = all.Key;
            var counts = Enumerable.Repeat(1.0, key.OptionCount).ToArray();
            foreach (var item in group) counts[item.Answer]++;
            var total = counts.Sum();
            _priors[key] = counts.Select(c => c / total).ToArray();
        }
    }

    public MethodAnswer Predict(EvalQuestion question) =>
        new(_priors.TryGetValue((question.QuestionClass, question.OptionCount), out var prior)
            ? (double[])prior.Clone()
            : Enumerable.Repeat(1.0 / question.OptionCount, question.OptionCount).ToArray());
}
