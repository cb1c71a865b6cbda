using DeepImagine.Imagining.Questions;
using DeepImagine.Predictor.Engine;

namespace DeepImagine.Predictor.Tests;

public sealed class Carrying_outcome_states
{
    [Fact]
    public void A_known_answer_becomes_the_start_state()
    {
        Assert.Equal([1.0, 0, 0], OutcomeState.FromAnswer(QuestionClasses.ThreeWay, 0).Vector);
        Assert.Equal([0, 0, 1.0], OutcomeState.FromAnswer(QuestionClasses.ThreeWay, 2).Vector);
        Assert.Equal([0, 0.5, 0.5], OutcomeState.FromAnswer(QuestionClasses.TwoWayExplicit, 1).Vector);
        Assert.Throws<ArgumentException>(() => OutcomeState.FromAnswer(QuestionClasses.ThreeWay, 3));
    }

    [Fact]
    public void A_significant_move_to_the_better_side_shifts_every_outcome_one_place_towards_x_better()
    {
        var state = new OutcomeState(0.2, 0.3, 0.5);
        var certainUp = new StepDistribution(Higher: 1, Lower: 0, Same: 0, Significant: 1);
        var moved = state.Apply(certainUp, higherIsBetter: true);
        Assert.Equal([0.7, 0, 0.3], moved.Vector, (a, b) => Math.Abs(a - b) < 1e-12);
        // Lower is better: the same move is towards the worse side.
        Assert.Equal([0, 0.8, 0.2], state.Apply(certainUp, higherIsBetter: false).Vector, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Same_or_non_significant_changes_and_unknown_better_sides_leave_the_state()
    {
        var state = new OutcomeState(0.2, 0.3, 0.5);
        Assert.Equal(state.Vector, state.Apply(new StepDistribution(0, 0, 1, 1), true).Vector, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(state.Vector, state.Apply(new StepDistribution(1, 0, 0, 0), true).Vector, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Same(state, state.Apply(new StepDistribution(1, 0, 0, 1), null));
    }

    [Fact]
    public void Option_probabilities_are_views_of_the_three_outcomes_and_sum_to_one()
    {
        var state = new OutcomeState(0.5, 0.2, 0.3);
        Assert.Equal([0.5, 0.2, 0.3], state.ToOptions(3), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal([0.5, 0.5], state.ToOptions(2), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Throws<ArgumentException>(() => state.ToOptions(4));
    }

    [Fact]
    public void Reads_the_compared_arms_from_benchmark_wording()
    {
        var item = Knowledge.Item("NCT00000009", "Octaplex", "Blood loss", 0);
        var superiority = QuestionArms.Read(item, 0);
        var threeWay = QuestionArms.Read(item, 1);
        Assert.Equal(("Octaplex", "Placebo"), (superiority.X.Label, superiority.Y!.Label));
        Assert.Equal(("Octaplex", "Placebo"), (threeWay.X.Label, threeWay.Y!.Label));
        Assert.Equal(QuestionClasses.ThreeWay, threeWay.QuestionClass);
        Assert.Throws<ArgumentException>(() => QuestionArms.Read(item, 2));
    }
}
