using DeepImagine.Imagining.Questions;

namespace DeepImagine.Evaluation.Tests;

public class Scoring_the_benchmarks
{
    private const string Explicit = QuestionClasses.TwoWayExplicit;
    private const string ThreeWay = QuestionClasses.ThreeWay;

    private static ScoredItem Item(string cls, int answer, params double[]? p) => new("NCT0", cls, answer, p);

    [Fact]
    public void Two_way_scores_match_a_hand_computation()
    {
        // Truth 0,0,1,1; argmax 0,1,1,1.
        var items = new[]
        {
            Item(Explicit, 0, 0.9, 0.1), Item(Explicit, 0, 0.4, 0.6), Item(Explicit, 1, 0.2, 0.8), Item(Explicit, 1, 0.3, 0.7),
        };
        var score = new CtOpenScorer().Score(items).ByClass[Explicit];

        Assert.Equal((0.5 + 1.0) / 2, score["bacc"], 12);
        Assert.Equal((2.0 / 3 + 0.8) / 2, score["f1"], 12); // label 0: tp 1, fn 1; label 1: tp 2, fp 1
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.4) + Math.Log(0.8) + Math.Log(0.7)) / 4, score["ce"], 12);
    }

    [Fact]
    public void Three_way_accuracy_merges_the_two_significant_options_but_cross_entropy_does_not()
    {
        // Truth 0,1,2,2; argmax 1,0,2,0. Merged: truth S,S,N,N; predicted S,S,N,S.
        var items = new[]
        {
            Item(ThreeWay, 0, 0.2, 0.7, 0.1), Item(ThreeWay, 1, 0.6, 0.3, 0.1), Item(ThreeWay, 2, 0.1, 0.1, 0.8), Item(ThreeWay, 2, 0.5, 0.2, 0.3),
        };
        var score = new CtOpenScorer().Score(items).ByClass[ThreeWay];

        Assert.Equal((1.0 + 0.5) / 2, score["bacc"], 12);
        Assert.Equal((0.8 + 2.0 / 3) / 2, score["f1"], 12); // S: tp 2, fp 1 → 0.8; N: tp 1, fn 1 → 2/3
        Assert.Equal(-(Math.Log(0.2) + Math.Log(0.3) + Math.Log(0.8) + Math.Log(0.3)) / 4, score["ce"], 12);
    }

    [Fact]
    public void Overall_is_the_plain_mean_of_the_classes_not_of_the_questions()
    {
        var items = new[]
        {
            Item(Explicit, 0, 0.9, 0.1), Item(Explicit, 1, 0.1, 0.9), Item(Explicit, 1, 0.2, 0.8), // bacc 1
            Item(ThreeWay, 2, 0.8, 0.1, 0.1), Item(ThreeWay, 0, 0.1, 0.1, 0.8), // bacc 0
        };
        var score = new CtOpenScorer().Score(items);

        Assert.Equal(0.5, score.Overall["bacc"], 12);
    }

    [Fact]
    public void Probabilities_are_normalised_and_a_zero_for_the_answer_is_clipped_at_1e_12()
    {
        Assert.Equal(Math.Log(2), Metrics.CrossEntropy([0], [[2.0, 2.0]]), 12);
        Assert.Equal(-Math.Log(1e-12), Metrics.CrossEntropy([1], [[1.0, 0.0]]), 12);
    }

    [Fact]
    public void A_missing_prediction_counts_as_wrong_and_as_probability_zero()
    {
        var items = new[] { Item(Explicit, 0, 0.9, 0.1), Item(Explicit, 1, null) };
        var score = new CtOpenScorer().Score(items);

        Assert.Equal(1, score.Missing);
        Assert.Equal(0.5, score.ByClass[Explicit]["bacc"], 12); // label 0 right, label 1 unanswered
        Assert.Equal((-Math.Log(0.9) - Math.Log(1e-12)) / 2, score.ByClass[Explicit]["ce"], 12);
    }

    [Fact]
    public void Evidence_inference_scores_macro_f1_over_three_labels_and_significance_as_two()
    {
        // Labels: increased 0, decreased 1, no difference 2. Truth 0,1,2; argmax 1,1,2.
        var items = new[]
        {
            Item("3-label", 0, 0.3, 0.6, 0.1), Item("3-label", 1, 0.1, 0.8, 0.1), Item("3-label", 2, 0.1, 0.1, 0.8),
        };
        var score = new EvidenceInferenceScorer().Score(items).Overall;

        Assert.Equal((0 + 2.0 / 3 + 1) / 3, score["f1"], 12); // increased never predicted; decreased tp 1 fp 1
        Assert.Equal(1.0, score["sig_bacc"], 12); // increased read as decreased is still "significant"
        Assert.Equal(-(Math.Log(0.3) + Math.Log(0.8) + Math.Log(0.8)) / 3, score["ce"], 12);
    }

    [Fact]
    public void Bootstrap_intervals_contain_the_score_and_are_empty_for_a_constant_one()
    {
        var items = Enumerable.Range(0, 40).Select(i => new ScoredItem($"NCT{i / 2}", Explicit, i % 2, i % 3 == 0 ? [0.2, 0.8] : [0.7, 0.3])).ToList();
        var scorer = new CtOpenScorer();
        var score = scorer.Score(items);
        var intervals = Bootstrap.Intervals(items, scorer, replicates: 200);

        Assert.InRange(score.Overall["bacc"], intervals["bacc"].Low, intervals["bacc"].High);
        Assert.True(intervals["bacc"].High > intervals["bacc"].Low);
        var prior = items.Select(i => i with { Probabilities = [0.6, 0.4] }).ToList();
        Assert.Equal((0.5, 0.5), Bootstrap.Intervals(prior, scorer, replicates: 50)["bacc"]);
    }
}
