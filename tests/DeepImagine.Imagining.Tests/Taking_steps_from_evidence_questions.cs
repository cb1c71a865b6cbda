using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Trials.Tests;

namespace DeepImagine.Imagining.Tests;

public class Taking_steps_from_evidence_questions
{
    private static string QuestionsFile => Path.Combine(RepoData.Root, "data", "evidence-inference", "questions.jsonl.gz");

    private static EvidenceInferenceQuestion Question(string? label) =>
        EvidenceInferenceQuestion.Create("PMC30713", 11170, "continuous lateral rotation (CLR)", "routine turning every 2 h", "sputum volume", label, 7, "test");

    [Theory]
    [InlineData("significantly increased", "higher", "lower", true)]
    [InlineData("significantly decreased", "lower", "higher", true)]
    [InlineData("no significant difference", "same", "same", false)]
    public void The_label_is_the_direction_from_comparator_to_intervention_and_back(string label, string forward, string backward, bool significant)
    {
        var steps = EvidenceSteps.FromQuestion(Question(label));

        Assert.Equal(["A->B", "B->A"], steps.Select(s => s.Orientation));
        Assert.Equal([forward, backward], steps.Select(s => StepFormat.Word(s.Observed.Direction)));
        Assert.All(steps, s => Assert.Equal(significant, s.Observed.Significant));
        Assert.All(steps, s => Assert.Null(s.Observed.LogRatio));
        Assert.All(steps, s => Assert.Equal(Factors.Arm, s.Factor));
        Assert.Equal(("routine turning every 2 h", "continuous lateral rotation (CLR)"), (steps[0].Perturbation.From, steps[0].Perturbation.To));
        Assert.Equal(("continuous lateral rotation (CLR)", "routine turning every 2 h"), (steps[1].Perturbation.From, steps[1].Perturbation.To));
    }

    [Fact]
    public void The_prompt_is_the_step_format_with_the_value_not_given_and_the_answer_reads_back()
    {
        var step = EvidenceSteps.FromQuestion(Question("significantly increased"))[0];
        var prompt = step.Prompt;

        Assert.Equal(StepFormat.TemplateVersion, prompt.TemplateVersion);
        Assert.Equal(3, StepFormat.TemplateVersion);
        Assert.Equal(StepFormat.SystemText, prompt.System);
        Assert.Contains("- Outcome measure: sputum volume\n", prompt.User, StringComparison.Ordinal);
        Assert.Contains("  - Arm value: not given\n", prompt.User, StringComparison.Ordinal);
        Assert.Contains("Change (arm)\n- From: routine turning every 2 h\n- To: continuous lateral rotation (CLR)\n", prompt.User, StringComparison.Ordinal);
        // Nothing of the answer is in the prompt.
        Assert.DoesNotContain("significant", prompt.User, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("PMC30713", prompt.User, StringComparison.Ordinal);
        Assert.Equal(step.Observed, StepAnswer.Parse(StepAnswer.Format(step.Observed, "Change: arm.")));
    }

    [Fact]
    public void A_question_without_label_gives_no_step_and_says_which()
    {
        var error = Assert.Throws<ArgumentException>(() => EvidenceSteps.FromQuestion(Question(null)));

        Assert.Contains("question 11170 (PMC30713) has no label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bundled_question_becomes_two_well_formed_steps()
    {
        var questions = EvidenceInferenceFile.ReadQuestions(QuestionsFile);
        var steps = questions.SelectMany(EvidenceSteps.FromQuestion).ToList();

        Assert.Equal(2 * questions.Count, steps.Count);
        Assert.All(steps, s => Assert.StartsWith("Current result\n", s.Prompt.User, StringComparison.Ordinal));
        Assert.Equal(questions.Count(q => q.Label == EvidenceInferenceLabels.NoDifference) * 2, steps.Count(s => s.Observed.Direction == ResultDirection.Same));
    }

    [Fact]
    public void The_reader_names_the_file_line_and_field_of_a_bad_record()
    {
        var file = Path.Combine(Path.GetTempPath(), $"ei-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(file,
        [
            """{"pmcid": "PMC1", "prompt_id": 1, "intervention": "a", "comparator": "b", "outcome": "c", "label": "no significant difference"}""",
            """{"pmcid": "PMC1", "prompt_id": 2, "intervention": "a", "comparator": "", "outcome": "c", "label": "no significant difference"}""",
        ]);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => EvidenceInferenceFile.ReadQuestions(file));
            Assert.Contains($"{Path.GetFileName(file)} line 2 (prompt_id 2): field 'comparator' is missing", error.Message, StringComparison.Ordinal);
            Assert.Equal("questions", EvidenceInferenceFile.KindOf(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Evidence_files_are_told_apart_from_trial_records_by_their_fields()
    {
        var folder = Path.Combine(RepoData.Root, "data");

        Assert.Equal("questions", EvidenceInferenceFile.KindOf(Path.Combine(folder, "evidence-inference", "questions.jsonl.gz")));
        Assert.Equal("articles", EvidenceInferenceFile.KindOf(Path.Combine(folder, "evidence-inference", "unlabelled-articles.jsonl.gz")));
        Assert.Null(EvidenceInferenceFile.KindOf(Path.Combine(folder, "ctgov-v2-json", "studies.jsonl.gz")));
        Assert.Null(EvidenceInferenceFile.KindOf(Path.Combine(folder, "evidence-inference", "SOURCE.md")));
    }
}
