using DeepImagine.Evaluation.Methods;

namespace DeepImagine.Evaluation.Tests;

public class Predicting_with_the_class_prior
{
    private static EvalQuestion Question(string cls, int options) => new("NCT1", ["k"], cls, options, []);

    [Fact]
    public void The_prior_counts_answers_per_class_with_one_pseudo_count_per_option()
    {
        var prior = new PriorMethod();
        prior.Fit([new(Question("a", 2), 0), new(Question("a", 2), 0), new(Question("a", 2), 1), new(Question("b", 3), 2)]);

        Assert.Equal([3 / 5.0, 2 / 5.0], prior.Predict(Question("a", 2)).Probabilities!);
        Assert.Equal([1 / 4.0, 1 / 4.0, 2 / 4.0], prior.Predict(Question("b", 3)).Probabilities!);
        Assert.Equal([0.5, 0.5], prior.Predict(Question("unseen", 2)).Probabilities!);
    }

    [Fact]
    public void Built_questions_shape_the_prior_only_of_a_class_the_benchmark_questions_lack()
    {
        var prior = new PriorMethod();
        prior.Fit([
            new(Question("a", 2), 0),
            new(Question("a", 2), 1, Built: true), new(Question("a", 2), 1, Built: true),
            new(Question("b", 2), 1, Built: true),
        ]);

        Assert.Equal([2 / 3.0, 1 / 3.0], prior.Predict(Question("a", 2)).Probabilities!);
        Assert.Equal([1 / 3.0, 2 / 3.0], prior.Predict(Question("b", 2)).Probabilities!);
    }

    [Fact]
    public void A_class_too_small_to_fit_is_left_unanswered_with_the_reason()
    {
        var logreg = MlNetMethod.LogisticRegression(1);
        logreg.Fit([new(Question("a", 2), 0), new(Question("a", 2), 0), new(Question("a", 2), 0), new(Question("a", 2), 1)]);

        var answer = logreg.Predict(Question("a", 2));

        Assert.Null(answer.Probabilities);
        Assert.Contains("too few known answers", answer.Reason, StringComparison.Ordinal);
    }
}
