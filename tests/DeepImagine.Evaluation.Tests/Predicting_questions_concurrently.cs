using DeepImagine.Evaluation.Methods;

namespace DeepImagine.Evaluation.Tests;

public sealed class Predicting_questions_concurrently
{
    [Fact]
    public void Questions_are_asked_together_and_answered_in_their_order()
    {
        // Each call waits until four are in flight at once: answered only when the wrapper really runs them together.
        var inner = new WaitingMethod(new Barrier(4));
        var method = new ConcurrentOutcomeMethod(inner, 4);
        var questions = Enumerable.Range(0, 8).Select(i => new EvalQuestion($"NCT{i}", [$"{i}"], "c", 2, [])).ToList();

        var answers = method.PredictAll(questions);

        Assert.Equal(Enumerable.Range(0, 8).Select(i => (double)i), answers.Select(a => a.Probabilities![0]));
        Assert.Equal("waiting", method.Name);
    }

    [Fact]
    public void A_failing_question_fails_the_run_with_its_own_error()
    {
        var method = new ConcurrentOutcomeMethod(new FailingMethod(), 3);
        var questions = Enumerable.Range(0, 5).Select(i => new EvalQuestion($"NCT{i}", [$"{i}"], "c", 2, [])).ToList();

        var error = Assert.Throws<InvalidOperationException>(() => method.PredictAll(questions));

        Assert.Equal("question 2 broke", error.Message);
    }

    private sealed class WaitingMethod(Barrier together) : IOutcomeMethod
    {
        public string Name => "waiting";

        public void Fit(IReadOnlyList<LabelledQuestion> knowledge) { }

        public MethodAnswer Predict(EvalQuestion question)
        {
            if (!together.SignalAndWait(TimeSpan.FromSeconds(30))) return MethodAnswer.Unanswered("asked alone");
            return new MethodAnswer([double.Parse(question.Id[0], System.Globalization.CultureInfo.InvariantCulture), 1]);
        }
    }

    private sealed class FailingMethod : IOutcomeMethod
    {
        public string Name => "failing";

        public void Fit(IReadOnlyList<LabelledQuestion> knowledge) { }

        public MethodAnswer Predict(EvalQuestion question) =>
            question.Id[0] == "2" ? throw new InvalidOperationException("question 2 broke") : new MethodAnswer([0.5, 0.5]);
    }
}
