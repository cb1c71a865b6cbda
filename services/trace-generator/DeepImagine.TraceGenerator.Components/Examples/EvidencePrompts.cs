using System.Security.Cryptography;
using System.Text;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.TraceGenerator.Sources;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>
/// A labelled Evidence Inference question as a verifiable RL prompt (kind <c>evidence-inference</c>): the step prompt
/// from comparator to intervention, gold = the label's direction and significance (and its option index), options =
/// the three labels. Split by article, as its SFT examples.
/// </summary>
public static class EvidencePrompts
{
    public const string Kind = ExampleSources.EvidenceInference;

    public static VerifiablePromptRecord ToPrompt(Guid datasetId, EvidenceInferenceQuestion question)
    {
        var step = EvidenceSteps.FromQuestion(question)[0]; // comparator → intervention: the question's own direction
        var prompt = step.Prompt;
        var gold = new VerifiableAnswer(StepFormat.Word(step.Observed.Direction), step.Observed.Significant, null, question.LabelIndex);
        return new VerifiablePromptRecord(IdOf(datasetId, question), datasetId, Kind, step.Factor, EvidenceInferenceSource.SplitOf(question), [question.Pmcid],
            prompt.TemplateVersion, prompt.System, prompt.User, EvidenceInferenceLabels.All, gold);
    }

    /// <summary>Stable: the same dataset and question always give the same prompt id.</summary>
    public static Guid IdOf(Guid datasetId, EvidenceInferenceQuestion question) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{datasetId:N}|prompt|{EvidenceInferenceSource.KeyOf(question)}"))[..16]);
}
