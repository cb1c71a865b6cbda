using System.Text.RegularExpressions;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Prompts;
using DeepImagine.TraceGenerator.Sources;
using DeepImagine.TraceGenerator.Teaching;
using DeepImagine.Trials.Tests;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DeepImagine.TraceGenerator.Tests;

[Collection(HarnessDatabaseCollection.Name)]
public partial class Importing_evidence_inference(HarnessDatabase database)
{
    private static string Folder => Path.Combine(RepoData.Root, "data", "evidence-inference");

    private static IReadOnlyList<EvidenceInferenceQuestion> Bundled() => EvidenceInferenceFile.ReadQuestions(Path.Combine(Folder, "questions.jsonl.gz"));

    private static EvidenceInferenceQuestionRecord Record(EvidenceInferenceQuestion q) =>
        new(q.Pmcid, q.PromptId, q.Intervention, q.Comparator, q.Outcome, q.Label, q.Annotations);

    /// <summary>A made-up PMC id (never a bundled one) whose article falls in the given split.</summary>
    private static string PmcidIn(string split) =>
        Enumerable.Range(0, 10_000).Select(i => $"PMC-test-{Guid.NewGuid():N}").First(id => TrialSplit.Of(id) == split);

    [Fact]
    public async Task The_bundled_questions_become_two_examples_each_split_by_article_and_a_second_import_adds_nothing()
    {
        var name = "ei-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = database.Services(new FakePairMiner(), name);
        var source = provider.GetRequiredService<EvidenceInferenceSource>();
        var records = Bundled().Select(Record).ToList();

        var (first, _) = await source.ImportQuestionsAsync(records, CancellationToken.None);
        var (second, _) = await source.ImportQuestionsAsync(records, CancellationToken.None);

        Assert.Equal((1704, 2 * 1704, 1704), (first.Questions, first.ExamplesAdded, first.PromptsAdded));
        Assert.Equal((1704, 0, 0, 0), (second.Questions, second.QuestionsAdded, second.ExamplesAdded, second.PromptsAdded));
        var evidence = second.Sources.Where(s => s.Source == ExampleSources.EvidenceInference).ToDictionary(s => s.Split, s => s.Examples);
        Assert.Equal(2 * 1704, evidence.Values.Sum());
        Assert.Equal(2 * records.Count(r => TrialSplit.Of(r.Pmcid) == TrialSplit.Train), evidence[TrialSplit.Train]);
        Assert.True(evidence[TrialSplit.Validation] > 0 && evidence[TrialSplit.Test] > 0, string.Join(", ", evidence));

        await using var connection = new NpgsqlConnection(HarnessDatabase.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"set search_path to {HarnessDatabase.Schema}");
        var rows = (await connection.QueryAsync<(string Pmcid, string Split)>(
            "select trial_ids[1], split from examples where dataset_id = @id and pair_kind = 'evidence-inference'", new { id = first.DatasetId })).ToList();
        var articlesInSeveralSplits = rows.GroupBy(r => r.Pmcid).Where(g => g.Select(r => r.Split).Distinct().Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(articlesInSeveralSplits);
        Assert.All(rows, r => Assert.Equal(TrialSplit.Of(r.Pmcid), r.Split));
        Assert.Equal(643, rows.Select(r => r.Pmcid).Distinct().Count());

        // The learner's view: the examples page holds them under factor arm, each completion ending with its label's RESULT line.
        var repository = provider.GetRequiredService<DatasetRepository>();
        var page = await repository.ExamplesAsync(first.DatasetId, TrialSplit.Train, Pairs.Factors.Arm, null, 1000, CancellationToken.None);
        Assert.Equal(1000, page.Count);
        Assert.All(page, e => Assert.Equal(e.ExpectedDirection, StepFormat.Word(StepAnswer.Parse(e.Completion).Direction)));
        Assert.All(page, e => Assert.Equal(StepFormat.TemplateVersion, e.TemplateVersion));
        var summary = await repository.GetAsync(first.DatasetId, CancellationToken.None);
        Assert.Equal(2 * 1704, summary!.Sources!.Where(s => s.Source == ExampleSources.EvidenceInference).Sum(s => s.Examples));
        // The RL prompts went in through the one insert path, each split as its article's examples.
        var prompts = summary.Prompts!.Where(p => p.Kind == VerifiablePromptKinds.EvidenceInference).ToDictionary(p => p.Split, p => p.Prompts);
        Assert.Equal(evidence.ToDictionary(kv => kv.Key, kv => kv.Value / 2), prompts);
        var stored = await provider.GetRequiredService<PromptRepository>().PromptsAsync(first.DatasetId, TrialSplit.Test, VerifiablePromptKinds.EvidenceInference, null, 1000, CancellationToken.None);
        Assert.All(stored, p => Assert.Equal(TrialSplit.Test, TrialSplit.Of(p.SourceIds[0])));
    }

    [Fact]
    public async Task A_bad_question_is_refused_naming_the_record_and_the_field_and_nothing_is_stored()
    {
        var name = "ei-bad-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = database.Services(new FakePairMiner(), name);
        var source = provider.GetRequiredService<EvidenceInferenceSource>();
        var good = new EvidenceInferenceQuestionRecord("PMC-bad-1", 900_000_001, "drug", "placebo", "pain", EvidenceInferenceLabels.Decreased, 2);

        var unlabelled = await Assert.ThrowsAsync<ArgumentException>(() => source.ImportQuestionsAsync([good, good with { PromptId = 900_000_002, Label = null }], CancellationToken.None));
        var badLabel = await Assert.ThrowsAsync<ArgumentException>(() => source.ImportQuestionsAsync([good with { Label = "better" }], CancellationToken.None));
        var repeated = await Assert.ThrowsAsync<ArgumentException>(() => source.ImportQuestionsAsync([good, good], CancellationToken.None));
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => source.ImportQuestionsAsync([], CancellationToken.None));

        Assert.Contains("questions[1] (prompt_id 900000002): field 'label' is missing", unlabelled.Message, StringComparison.Ordinal);
        Assert.Contains("questions[0] (prompt_id 900000001): field 'label' is 'better'", badLabel.Message, StringComparison.Ordinal);
        Assert.Contains("questions[1] (prompt_id 900000001): field 'promptId' repeats questions[0]", repeated.Message, StringComparison.Ordinal);
        Assert.Contains("no question", empty.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await provider.GetRequiredService<DatasetRepository>().EvidenceQuestionsAsync(null, CancellationToken.None), q => q.PromptId == 900_000_001);
    }

    [Fact]
    public async Task Articles_join_the_corpus_as_training_text_unless_their_article_has_held_out_questions()
    {
        var name = "ei-corpus-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = database.Services(new FakePairMiner(), name);
        var source = provider.GetRequiredService<EvidenceInferenceSource>();
        var repository = provider.GetRequiredService<DatasetRepository>();
        var plain = PmcidIn(TrialSplit.Test); // no labelled question: training text whatever its hash says
        var heldOut = PmcidIn(TrialSplit.Validation);
        var (questions, _) = await source.ImportQuestionsAsync([new(heldOut, Random.Shared.NextInt64(1_000_000_000, 2_000_000_000), "drug", "placebo", "pain", EvidenceInferenceLabels.Decreased, 1)], CancellationToken.None);

        var first = await source.ImportArticlesAsync([new(plain, "Methods. Patients were randomised."), new(heldOut, "Results were reported.")], CancellationToken.None);
        var again = await source.ImportArticlesAsync([new(plain, "Methods. Patients were randomised.")], CancellationToken.None);

        Assert.Equal((2, 2), (first.Articles, first.Added));
        Assert.Equal((1, 0, first.Stored), (again.Articles, again.Added, again.Stored));
        var train = await repository.CorpusAsync(questions.DatasetId, TrialSplit.Train, CancellationToken.None);
        var validation = await repository.CorpusAsync(questions.DatasetId, TrialSplit.Validation, CancellationToken.None);
        var article = Assert.Single(train, d => d.TrialId == plain);
        Assert.Equal((CorpusSources.EvidenceInferenceArticle, "Methods. Patients were randomised."), (article.Source, article.Text));
        Assert.DoesNotContain(train, d => d.TrialId == heldOut);
        Assert.Contains(validation, d => d.TrialId == heldOut && d.Source == CorpusSources.EvidenceInferenceArticle);

        var blank = await Assert.ThrowsAsync<ArgumentException>(() => source.ImportArticlesAsync([new(plain, "x"), new("PMC9", " ")], CancellationToken.None));
        Assert.Contains("articles[1] (PMC9): field 'text' is empty", blank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grounded_trace_states_only_what_the_question_record_holds()
    {
        foreach (var question in Bundled().Take(300))
        {
            foreach (var step in EvidenceSteps.FromQuestion(question))
            {
                var trace = EvidenceTeacher.Write(step);
                Assert.Equal(["Change", "Evidence", "Conclusion"], trace.Facts.Select(f => f.Name));
                Assert.Contains(question.Pmcid, trace.Text, StringComparison.Ordinal);
                Assert.Contains(question.Label!, trace.Text, StringComparison.Ordinal);
                var record = string.Join(" ", question.Pmcid, question.Intervention, question.Comparator, question.Outcome, question.Annotations);
                foreach (Match number in Number().Matches(trace.Text))
                    Assert.Contains(number.Value, record, StringComparison.Ordinal);
                var completion = StepAnswer.Format(step.Observed, trace.Text);
                Assert.Equal(step.Observed, StepAnswer.Parse(completion));
            }
        }
    }

    [Fact]
    public void A_question_becomes_a_verifiable_question_prompt_with_the_label_as_gold_and_the_three_labels_as_options()
    {
        var datasetId = StepExample.DatasetIdOf("steps-v2");
        var questions = Bundled();
        var prompts = questions.Select(q => VerifiablePrompts.FromEvidenceQuestion(datasetId, q)).ToList();

        Assert.Equal(questions.Count, prompts.Select(p => p.PromptId).Distinct().Count());
        Assert.Equal(prompts.Select(p => p.PromptId), questions.Select(q => VerifiablePrompts.FromEvidenceQuestion(datasetId, q).PromptId));
        Assert.All(prompts, p => Assert.Equal("evidence-inference", p.Kind));
        Assert.All(prompts, p => Assert.Equal(EvidenceInferenceLabels.All, p.Options!));
        foreach (var (q, p) in questions.Zip(prompts))
        {
            var expected = q.Label switch
            {
                EvidenceInferenceLabels.Increased => new VerifiableAnswer("higher", true, null, 0),
                EvidenceInferenceLabels.Decreased => new VerifiableAnswer("lower", true, null, 1),
                _ => new VerifiableAnswer("same", false, null, 2),
            };
            Assert.Equal(expected, p.Gold);
            Assert.Equal(q.Pmcid, Assert.Single(p.SourceIds));
            Assert.Equal(TrialSplit.Of(q.Pmcid), p.Split);
            Assert.Equal((QuestionPrompt.SystemText, QuestionPrompt.TemplateVersion), (p.System, p.TemplateVersion));
            Assert.Contains("Options\n1. significantly increased\n2. significantly decreased\n3. no significant difference\n", p.Prompt, StringComparison.Ordinal);
            Assert.Contains($"- Intervention\n  - Interventions: {OneLine(q.Intervention)}\n- Comparator\n  - Interventions: {OneLine(q.Comparator)}\n", p.Prompt, StringComparison.Ordinal);
            Assert.DoesNotContain(q.Pmcid, p.Prompt, StringComparison.Ordinal);
        }
        // Every article's prompts sit in one split, and each split has some.
        Assert.All(prompts.GroupBy(p => p.SourceIds[0]), g => Assert.Single(g.Select(p => p.Split).Distinct()));
        Assert.Equal(TrialSplit.All.Order(), prompts.Select(p => p.Split).Distinct().Order());
    }

    private static string OneLine(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Number();
}
