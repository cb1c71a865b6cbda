using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;

namespace DeepImagine.Imagining.Tests;

public class Asking_outcome_questions
{
    private static readonly CtOpenItem Nerandomilast = new()
    {
        NctId = "NCT05321082",
        EndpointKey = "{'measure': 'FVC at Week 52'}",
        BriefTitle = "A Study to Find Out Whether BI 1015550 Improves Lung Function",
        Endpoint = new CtOpenEndpoint
        {
            Measure = "Absolute change from baseline in Forced Vital Capacity (FVC) (mL) at Week 52",
            Description = "FVC measured by\nspirometry",
            TimeFrame = "at baseline, at week 52",
            OutcomeType = "primaryOutcomes",
        },
        Arms =
        [
            new CtOpenArm
            {
                Label = "BI 1015550 high dose", Type = "EXPERIMENTAL", Description = "18 mg twice daily",
                Interventions = [new CtOpenIntervention { Type = "DRUG", Name = "BI 1015550", Description = "BI 1015550", OtherNames = ["Nerandomilast"] }],
            },
            new CtOpenArm
            {
                Label = "Placebo", Type = "PLACEBO_COMPARATOR",
                Interventions = [new CtOpenIntervention { Type = "DRUG", Name = "Placebo", Description = "matching tablets" }],
            },
        ],
        MetaLabel = "single_arm",
        Questions =
        [
            new CtOpenQuestion { Options = ["Placebo is significantly worse.", "BI 1015550 high dose is significantly worse.", "No significant difference."], AnswerIndex = 0 },
            new CtOpenQuestion { Options = ["Improved.", "Not improved."], AnswerIndex = 0 },
        ],
    };

    [Fact]
    public void A_prompt_states_the_trial_the_endpoint_the_arms_and_the_numbered_options()
    {
        var prompt = QuestionPrompt.Build(Nerandomilast, 0);

        Assert.Equal(QuestionPrompt.TemplateVersion, prompt.TemplateVersion);
        Assert.Contains("ANSWER: <option number>", prompt.System, StringComparison.Ordinal);
        Assert.Equal(
            "Trial: A Study to Find Out Whether BI 1015550 Improves Lung Function\n" +
            "Endpoint (primary): Absolute change from baseline in Forced Vital Capacity (FVC) (mL) at Week 52\n" +
            "- Description: FVC measured by spirometry\n" +
            "- Time frame: at baseline, at week 52\n" +
            "Arms\n" +
            "- BI 1015550 high dose (experimental)\n" +
            "  - Interventions: BI 1015550 (also Nerandomilast)\n" +
            "  - Description: 18 mg twice daily\n" +
            "- Placebo (placebo comparator)\n" +
            "  - Interventions: Placebo: matching tablets\n" +
            "Question: Which option states the trial's result on this endpoint?\n" +
            "Options\n" +
            "1. Placebo is significantly worse.\n" +
            "2. BI 1015550 high dose is significantly worse.\n" +
            "3. No significant difference.\n" +
            "Answer with the option number.",
            prompt.User);
        Assert.Equal(Nerandomilast.Questions[0].Options, prompt.Options);
        Assert.Equal(["ANSWER: 1", "ANSWER: 2", "ANSWER: 3"], prompt.AnswerLines);
        Assert.DoesNotContain("answer_index", prompt.User, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_question_of_an_item_gets_its_own_options()
    {
        var prompt = QuestionPrompt.Build(Nerandomilast, 1);

        Assert.EndsWith("Options\n1. Improved.\n2. Not improved.\nAnswer with the option number.", prompt.User, StringComparison.Ordinal);
        Assert.Equal(["ANSWER: 1", "ANSWER: 2"], prompt.AnswerLines);
    }

    [Fact]
    public void The_arms_an_implicit_question_speaks_of_are_named()
    {
        var item = Nerandomilast with { MetaLabel = "no_distinguishable_arm", ListedArms = [Nerandomilast.Arms[0]] };

        var prompt = QuestionPrompt.Build(item, 1);

        Assert.Contains("- Arms the options speak of: BI 1015550 high dose\n", prompt.User, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_description_is_cut_so_the_prompt_stays_short()
    {
        var item = Nerandomilast with { Endpoint = Nerandomilast.Endpoint with { Description = new string('x', 5000) } };

        var prompt = QuestionPrompt.Build(item, 0);

        Assert.Contains("- Description: " + new string('x', QuestionPrompt.MaxDescriptionChars) + "…\n", prompt.User, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_names_the_field_and_the_record()
    {
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => QuestionPrompt.Build(Nerandomilast, 2));
        Assert.Contains("NCT05321082", outOfRange.Message, StringComparison.Ordinal);
        Assert.Contains("questions has 2 entries", outOfRange.Message, StringComparison.Ordinal);

        var oneOption = Nerandomilast with { Questions = [new CtOpenQuestion { Options = ["Met."] }] };
        var tooFew = Assert.Throws<ArgumentException>(() => QuestionPrompt.Build(oneOption, 0));
        Assert.Contains("NCT05321082", tooFew.Message, StringComparison.Ordinal);
        Assert.Contains("questions[0].options has 1 entries", tooFew.Message, StringComparison.Ordinal);

        var emptyOption = Nerandomilast with { Questions = [new CtOpenQuestion { Options = ["Met.", " "] }] };
        Assert.Contains("questions[0].options[1] is empty", Assert.Throws<ArgumentException>(() => QuestionPrompt.Build(emptyOption, 0)).Message, StringComparison.Ordinal);

        var noMeasure = Nerandomilast with { Endpoint = Nerandomilast.Endpoint with { Measure = "" } };
        Assert.Contains("endpoint.measure is empty", Assert.Throws<ArgumentException>(() => QuestionPrompt.Build(noMeasure, 0)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_written_answer_reads_back_as_the_same_option(int option)
    {
        var completion = QuestionPrompt.Format(option, "Placebo rarely moves FVC.\nThe high dose should help.");

        var answer = QuestionPrompt.Parse(completion, 3);

        Assert.Equal(QuestionAnswer.Of(option), answer);
        Assert.Equal("Placebo rarely moves FVC.\nThe high dose should help.", QuestionPrompt.Reasoning(completion));
        Assert.Equal($"ANSWER: {option + 1}", completion.Split('\n')[^1]);
    }

    [Theory]
    [InlineData("ANSWER: 2", 1)]
    [InlineData("answer: 2", 1)]
    [InlineData("Reasoning.\n**ANSWER:** 3", 2)]
    [InlineData("**Answer**: (1) Placebo is significantly worse.", 0)]
    [InlineData("ANSWER = option 2", 1)]
    [InlineData("ANSWER: [3].", 2)]
    [InlineData("- ANSWER: 1\r\n", 0)]
    [InlineData("ANSWER: 1\nOn second thought.\nANSWER: 3", 2)]
    public void An_answer_line_is_read_tolerantly_and_the_last_one_counts(string completion, int option)
    {
        Assert.Equal(QuestionAnswer.Of(option), QuestionPrompt.Parse(completion, 3));
    }

    [Theory]
    [InlineData(null, "empty completion")]
    [InlineData("  ", "empty completion")]
    [InlineData("Option 2 is right.", "no line starting with 'ANSWER:'")]
    [InlineData("The ANSWER: 2", "no line starting with 'ANSWER:'")]
    [InlineData("ANSWER: B", "does not start with an option number")]
    [InlineData("ANSWER:", "does not start with an option number")]
    [InlineData("ANSWER: -1", "does not start with an option number")]
    [InlineData("ANSWER: 0", "ANSWER 0 is not an option number from 1 to 3")]
    [InlineData("ANSWER: 4", "ANSWER 4 is not an option number from 1 to 3")]
    [InlineData("ANSWER: 12", "ANSWER 12 is not an option number from 1 to 3")]
    [InlineData("ANSWER: 2.5", "does not start with an option number")]
    [InlineData("ANSWER: 99999999999999999999999", "is not an option number from 1 to 3")]
    [InlineData("ANSWER: 2\nANSWER: nothing", "does not start with an option number")]
    public void A_malformed_answer_is_unparseable_with_the_reason_and_never_throws(string? completion, string reason)
    {
        var answer = QuestionPrompt.Parse(completion, 3);

        Assert.False(answer.IsParseable);
        Assert.Null(answer.OptionIndex);
        Assert.Contains(reason, answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_question_built_from_a_stored_trial_makes_a_prompt_its_answer_reads_back_from()
    {
        var items = SourceFiles.Read([RepoData.V2Studies])
            .Select(TrialRecordParser.Parse)
            .SelectMany(OutcomeQuestionBuilder.Build)
            .Take(300)
            .ToList();
        Assert.NotEmpty(items);

        foreach (var item in items)
        {
            for (var q = 0; q < item.Questions.Count; q++)
            {
                var prompt = QuestionPrompt.Build(item, q);
                var gold = item.Questions[q].AnswerIndex!.Value;
                Assert.Equal(QuestionAnswer.Of(gold), QuestionPrompt.Parse(QuestionPrompt.Format(gold, "Because."), prompt.Options.Count));
                Assert.DoesNotContain("\n\n", prompt.User, StringComparison.Ordinal);
            }
        }
    }
}
