using System.Security.Cryptography;
using System.Text;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Prompts;

/// <summary>
/// Prompts whose answers are checked against observed results, for RL (<see cref="VerifiablePromptRecord"/>):
/// <list type="bullet">
/// <item>approximate-step: each step (A→B and B→A) of an approximate pair, in the one step format
/// (<see cref="PairSteps"/>); gold = the observed direction, significance and log ratio of the changed side. The split
/// is the most held-out of the two trials' (<see cref="TrialSplit.OfExample"/>), so a training prompt only ever holds
/// training trials.</item>
/// <item>superiority / comparative / endpoint-met: the CT Open-class questions <see cref="OutcomeQuestionBuilder"/>
/// builds from a trial's reported analyses, worded by <see cref="QuestionPrompt"/>; gold = the right option; the
/// split is the trial's own.</item>
/// </list>
/// Ids are hashes of what a prompt is about, so building twice gives the same records.
/// </summary>
public static class VerifiablePrompts
{
    /// <summary>The prompts of one approximate pair's steps (none for a natural pair: those are the SFT examples' business).</summary>
    public static IReadOnlyList<VerifiablePromptRecord> FromApproximatePair(Guid datasetId, CounterfactualPair pair, Trial? trialA, Trial? trialB)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Kind != PairKinds.Approximate) return [];
        IReadOnlyList<string> sourceIds = new[] { pair.A.TrialId, pair.B.TrialId }.Distinct(StringComparer.Ordinal).ToList();
        var split = TrialSplit.OfExample(sourceIds);
        return PairSteps.FromPair(pair, trialA, trialB).Select(step =>
        {
            var prompt = step.Prompt;
            return new VerifiablePromptRecord(
                IdOf(datasetId, VerifiablePromptKinds.ApproximateStep, pair.Key, step.Orientation),
                datasetId, VerifiablePromptKinds.ApproximateStep, step.Factor, split, sourceIds, prompt.TemplateVersion, prompt.System, prompt.User,
                Options: null,
                new VerifiableAnswer(StepFormat.Word(step.Observed.Direction), step.Observed.Significant, step.Observed.LogRatio, OptionIndex: null));
        }).ToList();
    }

    /// <summary>The questions with known answers a trial's reported analyses give (none without results).</summary>
    public static IReadOnlyList<VerifiablePromptRecord> FromTrial(Guid datasetId, Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var split = TrialSplit.Of(trial.TrialId);
        var prompts = new List<VerifiablePromptRecord>();
        foreach (var item in OutcomeQuestionBuilder.Build(trial))
        {
            for (var q = 0; q < item.Questions.Count; q++)
            {
                var question = item.Questions[q];
                if (question.AnswerIndex is not { } answer) continue;
                var kind = KindOf(item, question, trial.TrialId);
                var prompt = QuestionPrompt.Build(item, q);
                prompts.Add(new VerifiablePromptRecord(
                    IdOf(datasetId, kind, trial.TrialId, item.EndpointKey, string.Join("\u001f", question.Options)),
                    datasetId, kind, Factor: null, split, [trial.TrialId], prompt.TemplateVersion, prompt.System, prompt.User,
                    prompt.Options, new VerifiableAnswer(Direction: null, Significant: null, LogRatio: null, answer)));
            }
        }
        return prompts.DistinctBy(p => p.PromptId).ToList();
    }

    /// <summary>The CT Open class of a question, as the benchmark defines it, named as a prompt kind.</summary>
    public static string KindOf(CtOpenItem item, CtOpenQuestion question, string recordForErrors) =>
        QuestionClasses.Of(item.MetaLabel, question.Options.Count, recordForErrors) switch
        {
            QuestionClasses.ThreeWay => VerifiablePromptKinds.Comparative,
            QuestionClasses.TwoWayExplicit => VerifiablePromptKinds.Superiority,
            _ => VerifiablePromptKinds.EndpointMet,
        };

    /// <summary>The same dataset, kind and subject always give the same id, whoever builds it and how often.</summary>
    public static Guid IdOf(Guid datasetId, string kind, params string[] subject) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"prompt|{datasetId:N}|{kind}|{string.Join('|', subject)}"))[..16]);
}
