using DeepImagine.Imagining;

namespace DeepImagine.TraceGenerator.Teaching;

/// <summary>
/// The grounded trace of an Evidence Inference step. The file holds no evidence sentences, only the question and the
/// annotators' answer, so the trace states exactly those: the change, where the comparison was reported and by how many
/// annotators it was read, and the conclusion the label gives. No fact that is not in the question's record.
/// </summary>
public static class EvidenceTeacher
{
    public static StepTrace Write(EvidenceStep step)
    {
        var q = step.Question;
        var facts = new List<TraceFact>
        {
            new("Change", $"the group changes from one receiving {step.From} to one receiving {step.To}; the outcome is {q.Outcome}."),
            new("Evidence", $"the randomised trial report {q.Pmcid} compares {q.Intervention} with {q.Comparator} on {q.Outcome}" +
                (q.Annotations is { } n and > 0 ? $", as read by {n} annotator{(n == 1 ? "" : "s")}." : ".")),
            new("Conclusion", Conclusion(step)),
        };
        return new StepTrace(string.Join("\n", facts.Select(f => $"{f.Name}: {f.Sentence}")), facts, TraceSources.Grounded);
    }

    private static string Conclusion(EvidenceStep step)
    {
        var q = step.Question;
        var reported = $"the annotators' answer is \"{q.Label}\" for {q.Outcome} with {q.Intervention} compared with {q.Comparator}";
        return step.Observed.Direction switch
        {
            ResultDirection.Same => $"{reported}, so the result stays the same (not significant).",
            var d => $"{reported}, so going from {step.From} to {step.To} the result is {StepFormat.Word(d)} (significant).",
        };
    }
}
