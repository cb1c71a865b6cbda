using DeepImagine.Evaluation.Tasks;

namespace DeepImagine.Evaluation.Tests;

public class Reading_evidence_inference
{
    [Fact]
    public void The_bundled_questions_match_the_counts_in_SOURCE_md()
    {
        // SOURCE.md: 1,704 questions from 643 articles: no significant difference 823, increased 472, decreased 409.
        var questions = new EvidenceInferenceTask().Load(RepoFiles.EvidenceInference);

        Assert.Equal(1704, questions.Count);
        Assert.Equal(643, questions.Select(q => q.Question.Group).Distinct().Count());
        Assert.Equal(472, questions.Count(q => q.Answer == 0));
        Assert.Equal(409, questions.Count(q => q.Answer == 1));
        Assert.Equal(823, questions.Count(q => q.Answer == 2));
    }

    [Fact]
    public void A_question_without_label_is_read_for_prediction_and_a_bad_label_is_named()
    {
        var blind = EvidenceInferenceTask.Parse(System.Text.Json.Nodes.JsonNode.Parse(
            """{"pmcid": "PMC1", "prompt_id": 7, "intervention": "drug", "comparator": "placebo", "outcome": "pain"}""")!.AsObject(), "line 1");
        Assert.Null(blind.Answer);
        Assert.Contains("c_placebo", blind.Question.Features);

        var error = Assert.Throws<ArgumentException>(() => EvidenceInferenceTask.Parse(System.Text.Json.Nodes.JsonNode.Parse(
            """{"pmcid": "PMC1", "prompt_id": 8, "intervention": "drug", "comparator": "placebo", "outcome": "pain", "label": "better"}""")!.AsObject(), "line 2"));
        Assert.Contains("line 2 (prompt_id 8)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'label'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prediction_line_names_the_prompt_and_the_three_labels()
    {
        var question = EvidenceInferenceTask.Parse(System.Text.Json.Nodes.JsonNode.Parse(
            """{"pmcid": "PMC1", "prompt_id": 7, "intervention": "a", "comparator": "b", "outcome": "c"}""")!.AsObject(), "line 1").Question;

        var line = System.Text.Json.Nodes.JsonNode.Parse(new EvidenceInferenceTask().PredictionLine(question, [0.2, 0.3, 0.5], null))!;

        Assert.Equal(7, (long)line["prompt_id"]!);
        Assert.Equal(0.5, (double)line["probabilities"]!["no significant difference"]!);
        Assert.Equal(0.2, (double)line["probabilities"]!["significantly increased"]!);
    }
}
