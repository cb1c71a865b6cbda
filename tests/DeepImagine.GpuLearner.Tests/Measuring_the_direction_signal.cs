using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Training;
using DeepImagine.Imagining;

namespace DeepImagine.GpuLearner.Tests;

public class Measuring_the_direction_signal
{
    private static StepExampleRecord Observed(string direction, int n) => new(
        Guid.NewGuid(), FakeDatasets.DatasetId, "dose", "validation", [$"NCT{n:D8}"], 1, "", $"prompt {n}",
        $"RESULT: direction={direction} log_ratio=unknown significant=unknown", direction, null, null, "grounded");

    private static IReadOnlyDictionary<ResultDirection, double> Reading(double higher, double lower, double same) =>
        new Dictionary<ResultDirection, double> { [ResultDirection.Higher] = higher, [ResultDirection.Lower] = lower, [ResultDirection.Same] = same };

    [Fact]
    public void An_operator_that_always_answers_same_but_ranks_the_examples_right_shows_full_signal()
    {
        // Every reading prefers "same" (the majority answer), yet higher examples lean higher, lower ones lower, changed ones less "same".
        var examples = new[] { Observed("higher", 1), Observed("higher", 2), Observed("lower", 3), Observed("lower", 4), Observed("same", 5), Observed("same", 6) };
        var readings = new[] { Reading(0.3, 0.1, 0.6), Reading(0.25, 0.15, 0.6), Reading(0.1, 0.3, 0.6), Reading(0.15, 0.25, 0.6), Reading(0.1, 0.1, 0.8), Reading(0.05, 0.05, 0.9) };

        var signal = DirectionSignal.Of(examples, readings);

        Assert.Equal(1.0, signal.HigherVersusLowerAuc);
        Assert.Equal(1.0, signal.ChangedVersusSameAuc);
        Assert.True(signal.ChangeScoreSpread > 0.1, $"spread {signal.ChangeScoreSpread}");
    }

    [Fact]
    public void A_reading_that_is_the_same_for_every_prompt_has_no_signal()
    {
        var examples = new[] { Observed("higher", 1), Observed("lower", 2), Observed("same", 3), Observed("same", 4) };
        var readings = examples.Select(_ => Reading(0.01, 0.02, 0.97)).ToList();

        var signal = DirectionSignal.Of(examples, readings);

        Assert.Equal(0.5, signal.HigherVersusLowerAuc);
        Assert.Equal(0.5, signal.ChangedVersusSameAuc);
        Assert.Equal(0, signal.ChangeScoreSpread, 12);
    }

    [Fact]
    public void A_reading_that_ranks_backwards_scores_below_one_half()
    {
        var examples = new[] { Observed("higher", 1), Observed("lower", 2) };

        var signal = DirectionSignal.Of(examples, [Reading(0.1, 0.4, 0.5), Reading(0.4, 0.1, 0.5)]);

        Assert.Equal(0.0, signal.HigherVersusLowerAuc);
        // No "same" example: nothing to rank changed against.
        Assert.Null(signal.ChangedVersusSameAuc);
    }

    [Fact]
    public void Refuses_an_observed_direction_outside_the_format_naming_the_example()
    {
        var bad = Observed("higher", 1) with { ExpectedDirection = "up" };

        var error = Assert.Throws<ArgumentException>(() => DirectionSignal.Of([bad], [Reading(0.3, 0.3, 0.4)]));

        Assert.Contains(bad.ExampleId.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("'up'", error.Message, StringComparison.Ordinal);
    }
}
