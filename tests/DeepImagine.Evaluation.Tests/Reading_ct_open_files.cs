using DeepImagine.Evaluation.Tasks;

namespace DeepImagine.Evaluation.Tests;

public sealed class Reading_ct_open_files : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-ctopen-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_bundled_benchmark_reads_as_605_questions_in_the_three_classes()
    {
        var questions = new CtOpenTask().Load(RepoFiles.Winter2025);

        Assert.Equal(605, questions.Count);
        Assert.Equal(561, questions.Select(q => (q.Question.Id[0], q.Question.Id[1])).Distinct().Count());
        Assert.Equal(470, questions.Count(q => q.Question.QuestionClass == Imagining.Questions.QuestionClasses.TwoWayExplicit));
        Assert.Equal(80, questions.Count(q => q.Question.QuestionClass == Imagining.Questions.QuestionClasses.TwoWayImplicit));
        Assert.Equal(55, questions.Count(q => q.Question.QuestionClass == Imagining.Questions.QuestionClasses.ThreeWay));
    }

    [Fact]
    public void A_question_carries_its_trial_and_options_as_text_for_a_language_model()
    {
        var question = new CtOpenTask().Load(RepoFiles.Winter2025).First(q => q.Question.Id[0] == "NCT05799287").Question;

        Assert.StartsWith("Trial NCT05799287: A Study of Telitacicept", question.Context, StringComparison.Ordinal);
        Assert.Contains("Arm Placebo [PLACEBO_COMPARATOR]", question.Context, StringComparison.Ordinal);
        Assert.Contains("Endpoint (primary): Change from baseline in urine protein creatinine ratio (UPCR)", question.Context, StringComparison.Ordinal);
        Assert.Equal(2, question.Options.Count);
        Assert.StartsWith("The study arm Telitacicept has achieved", question.Options[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_item_without_its_endpoint_is_named_by_index_and_nct_id()
    {
        var path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, """{"items": [{"nct_id": "NCT01234567", "endpoint_key": "k", "meta_label": "no_arm", "questions": []}]}""");

        var error = Assert.Throws<ArgumentException>(() => new CtOpenTask().Load(path));

        Assert.Contains("items[0]", error.Message, StringComparison.Ordinal);
        Assert.Contains("NCT01234567", error.Message, StringComparison.Ordinal);
        Assert.Contains("endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_outside_the_options_is_named_with_its_question()
    {
        var path = Path.Combine(_folder, "bad-answer.json");
        File.WriteAllText(path, """{"items": [{"nct_id": "NCT01234567", "endpoint_key": "k", "endpoint": {"measure": "Pain"}, "meta_label": "no_arm", "questions": [{"options": ["met", "not met"], "answer_index": 2}]}]}""");

        var error = Assert.Throws<ArgumentException>(() => new CtOpenTask().Load(path));

        Assert.Contains("NCT01234567", error.Message, StringComparison.Ordinal);
        Assert.Contains("'answer_index' is 2", error.Message, StringComparison.Ordinal);
    }
}
