using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;

namespace DeepImagine.Imagining;

/// <summary>
/// One step taken from a labelled Evidence Inference question: the state is the <see cref="From"/> group on the outcome
/// with its value not given, the perturbation changes the arm to the <see cref="To"/> group, and the observed result is the
/// annotators' label. <see cref="Reversed"/> is false for comparator → intervention ("A->B"), true for the way back.
/// </summary>
public sealed record EvidenceStep(EvidenceInferenceQuestion Question, bool Reversed, string From, string To, ResultState State, Perturbation Perturbation, ImaginedResult Observed)
{
    public string Factor => Perturbation.Factor;
    public string Orientation => Reversed ? "B->A" : "A->B";
    public StepPrompt Prompt => StepFormat.BuildPrompt(State, Perturbation);
}

/// <summary>
/// Maps a labelled Evidence Inference question to steps in THE step format. The label says how the outcome moved with the
/// intervention relative to the comparator: significantly increased → higher (significant), significantly decreased →
/// lower (significant), no significant difference → same (not significant). The log-ratio is unknown (the question
/// states no values). Both ways are steps, as for pairs: from comparator to intervention, and back (direction flips,
/// significance stays).
/// </summary>
public static class EvidenceSteps
{
    /// <summary>The arm factor: a question changes which group receives what, on one outcome of one trial.</summary>
    public const string Factor = Factors.Arm;

    public static IReadOnlyList<EvidenceStep> FromQuestion(EvidenceInferenceQuestion question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var observed = Observed(question);
        return [Step(question, reversed: false, observed), Step(question, reversed: true, observed)];
    }

    /// <summary>The result the label states, intervention relative to comparator.</summary>
    public static ImaginedResult Observed(EvidenceInferenceQuestion question) => question.Label switch
    {
        EvidenceInferenceLabels.Increased => ImaginedResult.Of(ResultDirection.Higher, null, true),
        EvidenceInferenceLabels.Decreased => ImaginedResult.Of(ResultDirection.Lower, null, true),
        EvidenceInferenceLabels.NoDifference => ImaginedResult.Of(ResultDirection.Same, null, false),
        null => throw new ArgumentException($"question {question.PromptId} ({question.Pmcid}) has no label; only a labelled question is a step", nameof(question)),
        var other => throw new ArgumentException($"question {question.PromptId} ({question.Pmcid}): label '{other}' is not one of {string.Join(", ", EvidenceInferenceLabels.All)}", nameof(question)),
    };

    private static EvidenceStep Step(EvidenceInferenceQuestion question, bool reversed, ImaginedResult forward)
    {
        var (from, to) = reversed ? (question.Intervention, question.Comparator) : (question.Comparator, question.Intervention);
        var observed = reversed ? forward with { Direction = Flip(forward.Direction) } : forward;
        var state = new ResultState
        {
            OutcomeMeasure = question.Outcome,
            Arm = new ArmResult { Label = reversed ? "intervention group" : "comparator group", Interventions = [from] },
        };
        return new EvidenceStep(question, reversed, from, to, state, new Perturbation(Factor, from, to), observed);
    }

    private static ResultDirection Flip(ResultDirection direction) => direction switch
    {
        ResultDirection.Higher => ResultDirection.Lower,
        ResultDirection.Lower => ResultDirection.Higher,
        _ => direction,
    };
}
