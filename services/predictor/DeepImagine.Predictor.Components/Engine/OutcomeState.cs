using System.Globalization;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Predictor.Engine;

/// <summary>
/// The result state a chain carries, as probabilities of the three outcomes of comparing arm X with arm Y on the
/// endpoint: X significantly better, Y significantly better (X worse), no significant difference. A single-arm endpoint
/// reads "X better" as "met". Every question class is a view of these three (<see cref="ToOptions"/>).
/// </summary>
public sealed record OutcomeState(double XBetter, double YBetter, double NoDifference)
{
    public double[] Vector => [XBetter, YBetter, NoDifference];

    /// <summary>
    /// The state a known answer states. "Not significantly better" (2-way option 1) leaves open whether X is worse or
    /// no different: it splits evenly between the two, the only split the answer supports.
    /// </summary>
    public static OutcomeState FromAnswer(string questionClass, int answer) => (questionClass, answer) switch
    {
        (QuestionClasses.ThreeWay, 0) => new(1, 0, 0),
        (QuestionClasses.ThreeWay, 1) => new(0, 1, 0),
        (QuestionClasses.ThreeWay, 2) => new(0, 0, 1),
        (_, 0) => new(1, 0, 0),
        (_, 1) => new(0, 0.5, 0.5),
        _ => throw new ArgumentException($"answer {answer} is not an option of a {questionClass} question"),
    };

    /// <summary>The question's option probabilities: 3-way in its option order; 2-way: X better (met) or not.</summary>
    public double[] ToOptions(int optionCount) => optionCount switch
    {
        3 => Normalised([XBetter, YBetter, NoDifference]),
        2 => Normalised([XBetter, YBetter + NoDifference]),
        _ => throw new ArgumentException($"a question has 2 or 3 options, not {optionCount}"),
    };

    /// <summary>
    /// One imagined step: with the operator's probabilities that X's result moves up, down or stays, and that the change
    /// is significant, a significant move towards the better side shifts each outcome one place towards "X better"
    /// (Y better → no difference → X better), one towards the worse side the other way; a non-significant or "same"
    /// change leaves the state. Where the measure does not say which side is better, a move cannot be read, so the
    /// step leaves the state unchanged (and says so).
    /// </summary>
    public OutcomeState Apply(StepDistribution step, bool? higherIsBetter)
    {
        if (higherIsBetter is not { } better) return this;
        var towardsBetter = better ? step.Higher : step.Lower;
        var towardsWorse = better ? step.Lower : step.Higher;
        var move = step.Significant;
        var up = new OutcomeState(XBetter + NoDifference, 0, YBetter);
        var down = new OutcomeState(0, YBetter + NoDifference, XBetter);
        var stay = 1 - move * (towardsBetter + towardsWorse);
        return new OutcomeState(
            stay * XBetter + move * (towardsBetter * up.XBetter + towardsWorse * down.XBetter),
            stay * YBetter + move * (towardsBetter * up.YBetter + towardsWorse * down.YBetter),
            stay * NoDifference + move * (towardsBetter * up.NoDifference + towardsWorse * down.NoDifference)).Renormalised();
    }

    public OutcomeState Renormalised()
    {
        var v = Normalised(Vector);
        return new OutcomeState(v[0], v[1], v[2]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"x_better={XBetter:0.###} y_better={YBetter:0.###} no_difference={NoDifference:0.###}");

    public static double[] Normalised(double[] values)
    {
        var total = values.Sum();
        return total > 0 && double.IsFinite(total) ? values.Select(v => v / total).ToArray() : values.Select(_ => 1.0 / values.Length).ToArray();
    }
}

/// <summary>
/// What an operator said about one step, as probabilities: of the RESULT line's direction values (higher, lower, same)
/// and of significant=yes, scored after the step's own trace.
/// </summary>
public sealed record StepDistribution(double Higher, double Lower, double Same, double Significant)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"p(higher)={Higher:0.###} p(lower)={Lower:0.###} p(same)={Same:0.###} p(significant)={Significant:0.###}");
}
