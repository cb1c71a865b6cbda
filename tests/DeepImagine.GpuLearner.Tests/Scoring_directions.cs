using DeepImagine.GpuLearner.Training;

namespace DeepImagine.GpuLearner.Tests;

public class Scoring_directions
{
    [Fact]
    public void Counts_correct_directions_and_the_majority_baseline_of_the_same_examples()
    {
        var examples = new FakeDatasets().Examples.Where(e => e.Factor == "dose").Take(4).ToList();
        var expected = examples.Select(e => e.ExpectedDirection).ToList();
        var completions = new List<string>
        {
            $"because.\nRESULT: direction={expected[0]} log_ratio=0.3 significant=yes",
            $"RESULT: direction={(expected[1] == "higher" ? "lower" : "higher")} log_ratio=unknown significant=unknown",
            "I am not sure.",
            $"RESULT: direction={expected[3]} log_ratio=-0.3 significant=yes",
        };

        var score = DirectionEvaluator.Score(examples, completions);

        Assert.Equal(4, score.Examples);
        Assert.Equal(0.5, score.DirectionAccuracy);
        Assert.Equal(0.75, score.ParseableRate);
        var majority = expected.GroupBy(d => d).Max(g => g.Count()) / 4.0;
        Assert.Equal(majority, score.MajorityAccuracy);
    }
}
