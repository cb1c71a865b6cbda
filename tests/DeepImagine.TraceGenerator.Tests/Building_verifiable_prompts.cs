using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Pairs.Tests;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Prompts;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Tests;

public class Building_verifiable_prompts
{
    private static readonly Guid Dataset = StepExample.DatasetIdOf("prompts-test");

    /// <summary>NCT00738400 (vardenafil vs placebo, reported analyses) and a copy of it that differs only in its countries.</summary>
    internal static (Trial A, Trial B, CounterfactualPair Pair) GeographyPair(string copyId = "COPY-NCT00738400")
    {
        var a = Mined.Trial("NCT00738400");
        var b = a with { TrialId = copyId, SourceRecordId = copyId, NctId = copyId, Countries = ["Japan"] };
        var pair = ApproximatePairBuilder.Build((a, new TrialRef(1, a.TrialId, a.Source, a.SourceRecordId, 1)), (b, new TrialRef(2, b.TrialId, b.Source, b.SourceRecordId, 1)), 0.9)!;
        return (a, b, pair);
    }

    /// <summary>Copy ids that land in the given split (the split is a hash of the id, so one is found by trying).</summary>
    internal static string IdIn(string split, int skip = 0) =>
        Enumerable.Range(0, 10_000).Select(i => $"COPY-{i}").Where(id => TrialSplit.Of(id) == split).Skip(skip).First();

    [Fact]
    public void An_approximate_pair_with_one_factor_gives_both_steps_in_the_step_format_with_the_observed_answer()
    {
        var (a, b, pair) = GeographyPair();
        Assert.Equal([Factors.Geography], pair.Factors);
        var steps = PairSteps.FromPair(pair, a, b);

        var prompts = VerifiablePrompts.FromApproximatePair(Dataset, pair, a, b);

        Assert.Equal(2, prompts.Count);
        Assert.Equal(steps.Select(s => (s.Prompt.System, s.Prompt.User)), prompts.Select(p => (p.System, p.Prompt)));
        Assert.All(prompts.Zip(steps), x =>
        {
            var (prompt, step) = x;
            Assert.Equal(VerifiablePromptKinds.ApproximateStep, prompt.Kind);
            Assert.Equal(Factors.Geography, prompt.Factor);
            Assert.Equal(StepFormat.TemplateVersion, prompt.TemplateVersion);
            Assert.Null(prompt.Options);
            Assert.Equal(new VerifiableAnswer(StepFormat.Word(step.Observed.Direction), step.Observed.Significant, step.Observed.LogRatio, null), prompt.Gold);
            Assert.Equal([a.TrialId, b.TrialId], prompt.SourceIds);
        });
        Assert.Contains("Change (geography)", prompts[0].Prompt, StringComparison.Ordinal);
        Assert.NotEqual(prompts[0].PromptId, prompts[1].PromptId);
    }

    [Fact]
    public void A_pair_across_splits_goes_to_the_later_split_so_no_held_out_trial_is_a_training_prompt()
    {
        var anchor = Mined.Trial("NCT00738400");
        var prompts = TrialSplit.All
            .SelectMany(split => Enumerable.Range(0, 3).Select(i => IdIn(split, i)))
            .SelectMany(id =>
            {
                var (a, b, pair) = GeographyPair(id);
                return VerifiablePrompts.FromApproximatePair(Dataset, pair, a, b);
            })
            .ToList();

        Assert.Equal(18, prompts.Count);
        Assert.All(prompts, p => Assert.Equal(TrialSplit.OfExample(p.SourceIds), p.Split));
        Assert.All(prompts.Where(p => p.Split == TrialSplit.Train), p => Assert.All(p.SourceIds, id => Assert.Equal(TrialSplit.Train, TrialSplit.Of(id))));
        Assert.All(prompts.Where(p => p.Split == TrialSplit.Validation), p => Assert.DoesNotContain(p.SourceIds, id => TrialSplit.Of(id) == TrialSplit.Test));
        // The anchor's own split and the copy's: the prompt lies in the more held-out one.
        Assert.Contains(prompts, p => p.Split == TrialSplit.Test);
        Assert.Equal(TrialSplit.Of(anchor.TrialId) == TrialSplit.Train ? 6 : 0, prompts.Count(p => p.Split == TrialSplit.Train));
    }

    [Fact]
    public void A_natural_pair_gives_no_verifiable_prompt()
    {
        var trial = Mined.Trial("NCT01037244");
        var natural = Mined.Pairs("NCT01037244");
        Assert.Contains(natural, p => PairSteps.FromPair(p, trial, trial).Count > 0);

        Assert.Empty(natural.SelectMany(p => VerifiablePrompts.FromApproximatePair(Dataset, p, trial, trial)));
    }

    [Fact]
    public void A_trials_reported_analyses_give_one_question_prompt_per_question_with_the_right_option_as_gold()
    {
        var trial = Mined.Trial("NCT00738400");
        var items = OutcomeQuestionBuilder.Build(trial);

        var prompts = VerifiablePrompts.FromTrial(Dataset, trial);

        Assert.Equal(items.Sum(i => i.Questions.Count), prompts.Count);
        Assert.All(prompts, p =>
        {
            Assert.Equal(TrialSplit.Of("NCT00738400"), p.Split);
            Assert.Equal(["NCT00738400"], p.SourceIds);
            Assert.Equal(QuestionPrompt.TemplateVersion, p.TemplateVersion);
            Assert.Equal(QuestionPrompt.SystemText, p.System);
            Assert.Null(p.Factor);
            Assert.Null(p.Gold.Direction);
            Assert.InRange(p.Gold.OptionIndex!.Value, 0, p.Options!.Count - 1);
        });
        // Vardenafil beat placebo on the primary IIEF-EF (p < 0.0001): improved (0), placebo worse (0), met (0).
        var primary = prompts.Where(p => p.Prompt.Contains("Endpoint (primary): Change From Baseline in International Index of Erectile Function", StringComparison.Ordinal)).ToList();
        Assert.Equal(0, Assert.Single(primary, p => p.Kind == VerifiablePromptKinds.Superiority).Gold.OptionIndex);
        Assert.Equal(0, Assert.Single(primary, p => p.Kind == VerifiablePromptKinds.Comparative).Gold.OptionIndex);
        Assert.Equal(0, Assert.Single(primary, p => p.Kind == VerifiablePromptKinds.EndpointMet).Gold.OptionIndex);
        Assert.All(primary, p => Assert.Equal(3 == p.Options!.Count, p.Kind == VerifiablePromptKinds.Comparative));
        var endpointMet = primary.Single(p => p.Kind == VerifiablePromptKinds.EndpointMet);
        Assert.Equal(["This endpoint is met.", "This endpoint is not met."], endpointMet.Options);
        Assert.Contains("1. This endpoint is met.\n2. This endpoint is not met.\n", endpointMet.Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Building_twice_gives_the_same_prompts_and_ids()
    {
        var trial = Mined.Trial("NCT00738400");
        var (a, b, pair) = GeographyPair();

        Assert.Equal(VerifiablePrompts.FromTrial(Dataset, trial).Select(p => p.PromptId), VerifiablePrompts.FromTrial(Dataset, trial).Select(p => p.PromptId));
        Assert.Equal(VerifiablePrompts.FromApproximatePair(Dataset, pair, a, b).Select(p => p.PromptId), VerifiablePrompts.FromApproximatePair(Dataset, pair, a, b).Select(p => p.PromptId));
        Assert.Equal(VerifiablePrompts.FromTrial(Dataset, trial).Count, VerifiablePrompts.FromTrial(Dataset, trial).Select(p => p.PromptId).Distinct().Count());
        Assert.Empty(VerifiablePrompts.FromTrial(StepExample.DatasetIdOf("other"), trial).Select(p => p.PromptId).Intersect(VerifiablePrompts.FromTrial(Dataset, trial).Select(p => p.PromptId)));
    }
}
