using DeepImagine.Imagining.Questions;
using DeepImagine.Trials.Tests;

namespace DeepImagine.Evaluation.Tests;

public class Building_questions_from_reported_analyses
{
    [Fact]
    public void A_significantly_better_drug_than_placebo_gives_improvement_arm_better_and_endpoint_met()
    {
        // NCT00738400, primary IIEF-EF (higher is better): vardenafil 20.96 vs placebo 14.20, p < 0.0001 (SUPERIORITY_OR_OTHER).
        var items = OutcomeQuestionBuilder.Build(RepoData.V2Trial("NCT00738400"));
        var primary = items.Where(i => i.Endpoint.Measure!.StartsWith("Change From Baseline in International Index of Erectile Function", StringComparison.Ordinal)).ToList();

        var explicitItem = primary.Single(i => i.MetaLabel == "single_arm");
        Assert.Equal("primaryOutcomes", explicitItem.Endpoint.OutcomeType);
        var superiority = explicitItem.Questions.Single(q => q.Options.Count == 2);
        Assert.StartsWith("The study arm Vardenafil (Levitra, BAY38-9456) has achieved statistically significant improvements over the study arm Placebo", superiority.Options[0], StringComparison.Ordinal);
        Assert.Equal(0, superiority.AnswerIndex);
        var comparative = explicitItem.Questions.Single(q => q.Options.Count == 3);
        Assert.Equal("Study Arm Placebo is statistically significantly worse than Study Arm Vardenafil (Levitra, BAY38-9456).", comparative.Options[0]);
        Assert.Equal(0, comparative.AnswerIndex);
        var met = primary.Single(i => i.MetaLabel == "no_arm").Questions.Single();
        Assert.Equal(0, met.AnswerIndex);
    }

    [Fact]
    public void A_p_value_above_0_05_gives_not_improved_no_difference_and_not_met()
    {
        // NCT00106392, primary erectile function domain: tacrolimus 18.0 vs placebo 23.5, p = 0.111.
        var items = OutcomeQuestionBuilder.Build(RepoData.V2Trial("NCT00106392"));
        var primary = items.Where(i => i.Endpoint.Measure == "Erectile Function Domain Score Between Treated and Untreated Groups").ToList();

        var explicitItem = primary.Single(i => i.MetaLabel == "single_arm");
        Assert.Contains("Tacrolimus has achieved", explicitItem.Questions[0].Options[0], StringComparison.Ordinal);
        Assert.Equal(1, explicitItem.Questions.Single(q => q.Options.Count == 2).AnswerIndex);
        Assert.Equal(2, explicitItem.Questions.Single(q => q.Options.Count == 3).AnswerIndex);
        Assert.Equal(1, primary.Single(i => i.MetaLabel == "no_arm").Questions.Single().AnswerIndex);
    }

    [Fact]
    public void A_significant_result_on_a_measure_of_unknown_direction_builds_no_question()
    {
        // NCT00734604's primary compares two active arms on a change "in units on a scale" whose title names no better direction.
        var trial = RepoData.V2Trial("NCT00734604");
        var measure = trial.Outcomes.First(o => o.Kind == "PRIMARY");
        Assert.Null(Pairs.DirectionLabeler.HigherIsBetter(measure.Title, measure.Unit).HigherIsBetter);

        Assert.DoesNotContain(OutcomeQuestionBuilder.Build(trial), i => i.Endpoint.Measure == measure.Title);
    }

    [Fact]
    public void Every_built_question_reads_as_a_benchmark_question_of_its_class()
    {
        var items = Trials.SourceFiles.Read([RepoData.V2Studies]).Select(Trials.TrialRecordParser.Parse).SelectMany(OutcomeQuestionBuilder.Build).ToList();

        Assert.NotEmpty(items);
        var questions = items.SelectMany(i => Tasks.CtOpenTask.Questions(i, i.NctId)).ToList();
        Assert.All(questions, q => Assert.NotNull(q.Answer));
        Assert.Contains(questions, q => q.Question.QuestionClass == QuestionClasses.ThreeWay && q.Answer == 2);
        Assert.Contains(questions, q => q.Question.QuestionClass == QuestionClasses.TwoWayExplicit && q.Answer == 0);
        Assert.Contains(questions, q => q.Question.QuestionClass == QuestionClasses.TwoWayImplicit);
    }
}
