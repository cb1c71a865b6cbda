using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;

namespace DeepImagine.Evaluation.Tests;

public class Splitting_folds_by_trial
{
    [Fact]
    public void No_nct_id_of_the_benchmark_falls_in_two_folds_and_folds_are_similar_in_size()
    {
        var questions = new CtOpenTask().Load(RepoFiles.Winter2025);
        var folds = GroupedFolds.Assign(questions.Select(q => q.Question.Group), 5);

        Assert.Equal(questions.Select(q => q.Question.Group).Distinct().Count(), folds.Count);
        var sizes = questions.GroupBy(q => folds[q.Question.Group]).Select(g => g.Count()).ToList();
        Assert.Equal(5, sizes.Count);
        Assert.True(sizes.Max() - sizes.Min() <= 10, $"fold sizes {string.Join(",", sizes)}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_folds_and_another_seed_other_folds()
    {
        var groups = Enumerable.Range(0, 100).Select(i => $"G{i % 37}").ToList();

        Assert.Equal(GroupedFolds.Assign(groups, 5, 1), GroupedFolds.Assign(groups, 5, 1));
        Assert.NotEqual(GroupedFolds.Assign(groups, 5, 1), GroupedFolds.Assign(groups, 5, 2));
    }

    [Fact]
    public void Cross_validation_predicts_every_question_once_from_a_model_that_never_saw_its_trial()
    {
        var train = Enumerable.Range(0, 60)
            .Select(i => new LabelledQuestion(new EvalQuestion($"NCT{i / 3}", [i.ToString(System.Globalization.CultureInfo.InvariantCulture)], "c", 2, []), i % 2))
            .ToList();
        var spy = new SpyMethod();
        var run = EvaluationRunner.CrossValidate(() => spy, train, [], 4, 7);

        Assert.Equal(train.Select(t => t.Question.Key), run.Predictions.Select(p => p.Question.Key));
        Assert.All(spy.Asked, asked => Assert.DoesNotContain(asked.Question.Group, asked.FittedOn));
    }

    [Fact]
    public void Evidence_inference_folds_keep_each_article_whole()
    {
        var questions = new EvidenceInferenceTask().Load(RepoFiles.EvidenceInference);
        var folds = GroupedFolds.Assign(questions.Select(q => q.Question.Group), 5);

        Assert.All(questions.GroupBy(q => q.Question.Group), article => Assert.Single(article.Select(q => folds[q.Question.Group]).Distinct()));
    }

    private sealed class SpyMethod : IOutcomeMethod
    {
        private HashSet<string> _fittedOn = [];

        public List<(EvalQuestion Question, HashSet<string> FittedOn)> Asked { get; } = [];

        public string Name => "spy";

        public void Fit(IReadOnlyList<LabelledQuestion> knowledge) => _fittedOn = knowledge.Select(k => k.Question.Group).ToHashSet();

        public MethodAnswer Predict(EvalQuestion question)
        {
            Asked.Add((question, _fittedOn));
            return new MethodAnswer([0.5, 0.5]);
        }
    }
}
