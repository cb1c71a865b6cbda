using DeepImagine.Imagining;
using DeepImagine.GpuLearner.Training;

namespace DeepImagine.GpuLearner.Tests;

public class Scoring_directions
{
    [Fact]
    public void Counts_free_and_constrained_directions_and_the_majority_baseline_of_the_same_examples()
    {
        var examples = new FakeDatasets().Examples.Where(e => e.Factor == "dose").Take(4).ToList();
        Assert.Equal(["higher", "higher", "lower", "lower"], examples.Select(e => e.ExpectedDirection));
        var free = new List<string>
        {
            "because.\nRESULT: direction=higher log_ratio=0.3 significant=yes",
            "RESULT: direction=lower log_ratio=unknown significant=unknown",
            "I am not sure.",
            "RESULT: direction=lower log_ratio=-0.3 significant=yes",
        };
        // The constrained reading of the same answers: the third, unparseable when free, gets a direction (the right one).
        var constrained = new List<string> { free[0], free[1], "I am not sure.\nRESULT: direction=lower log_ratio=unknown significant=unknown", free[3] };

        var score = DirectionEvaluator.Score(examples, free, constrained);

        Assert.Equal(4, score.Examples);
        Assert.Equal(0.5, score.FreeDirectionAccuracy);
        Assert.Equal(0.75, score.DirectionAccuracy);
        Assert.Equal(0.75, score.ParseableRate);
        Assert.Equal(0.5, score.MajorityAccuracy);
        Assert.Equal(1.0, score.Precision["higher"]);
        Assert.Equal(2.0 / 3, score.Precision["lower"]!.Value, 9);
        Assert.Null(score.Precision["same"]);
        Assert.Equal(0.5, score.Recall["higher"]);
        Assert.Equal(1.0, score.Recall["lower"]);
        Assert.Null(score.Recall["same"]);
    }

    [Fact]
    public void Refuses_an_unparseable_constrained_answer()
    {
        var examples = new FakeDatasets().Examples.Take(1).ToList();

        Assert.Throws<ArgumentException>(() => DirectionEvaluator.Score(examples, ["x"], ["no result line"]));
    }

    [Fact]
    public void Learns_only_the_result_line_when_the_trace_is_left_out()
    {
        var example = new FakeDatasets().Examples.First(e => e.Completion.Contains('\n', StringComparison.Ordinal));

        var target = DirectionEvaluator.TargetCompletion(example, withTrace: false);

        Assert.StartsWith("RESULT: direction=", target, StringComparison.Ordinal);
        Assert.Equal(example.Completion.Split('\n')[^1], target);
        Assert.Equal(example.Completion, DirectionEvaluator.TargetCompletion(example, withTrace: true));
    }
    [Fact]
    public void Scores_free_answers_on_the_first_examples_only_when_fewer_are_given()
    {
        var examples = new FakeDatasets().Examples.Where(e => e.Factor == "dose").Take(4).ToList();
        var free = new List<string> { "RESULT: direction=higher log_ratio=0.3 significant=yes", "no answer" };
        var constrained = new List<string>
        {
            "RESULT: direction=higher log_ratio=unknown significant=unknown",
            "RESULT: direction=lower log_ratio=unknown significant=unknown",
            "RESULT: direction=lower log_ratio=unknown significant=unknown",
            "RESULT: direction=lower log_ratio=unknown significant=unknown",
        };

        var score = DirectionEvaluator.Score(examples, free, constrained);

        Assert.Equal(4, score.Examples);
        Assert.Equal(2, score.FreeExamples);
        Assert.Equal(0.5, score.FreeDirectionAccuracy);
        Assert.Equal(0.5, score.ParseableRate);
        Assert.Equal(0.75, score.DirectionAccuracy);
        Assert.Throws<ArgumentException>(() => DirectionEvaluator.Score(examples, [], constrained));
    }

    [Fact]
    public void Weighs_the_direction_word_of_the_result_line_and_nothing_else()
    {
        var example = new FakeDatasets().Examples.First(e => e.Completion.Contains('\n', StringComparison.Ordinal));

        foreach (var withTrace in new[] { false, true })
        {
            var sft = DirectionEvaluator.ToSftExample(example, withTrace, directionLossWeight: 5);

            var span = Assert.Single(sft.Emphasis);
            var answer = sft.Messages[^1].Content;
            Assert.Equal(example.ExpectedDirection, answer.Substring(span.Start, span.Length));
            Assert.EndsWith("direction=", answer[..span.Start], StringComparison.Ordinal);
            Assert.True(span.Start > StepAnswer.FirstResultLineIndex(answer));
            Assert.Equal(5, span.Weight);
        }
        Assert.Empty(DirectionEvaluator.ToSftExample(example, withTrace: false).Emphasis);
    }
}
