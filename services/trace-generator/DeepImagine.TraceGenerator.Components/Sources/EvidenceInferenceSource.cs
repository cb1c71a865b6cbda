using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Prompts;
using DeepImagine.TraceGenerator.Teaching;
using Microsoft.Extensions.Logging;

namespace DeepImagine.TraceGenerator.Sources;

/// <summary>
/// Evidence Inference as a training source: labelled questions become step examples of the configured dataset (split by
/// article with the trials' stable hash, two orientations each, grounded traces) and verifiable RL prompts (kind
/// evidence-inference), and unlabelled articles join its
/// pretraining corpus. Every write is idempotent: importing the same records again adds nothing.
/// </summary>
public sealed class EvidenceInferenceSource(DatasetRepository repository, PromptRepository prompts, TraceGenerationOptions options, ILogger<EvidenceInferenceSource> logger)
{
    public const string PairKind = ExampleSources.EvidenceInference;
    public const string Relation = "intervention_vs_comparator";

    /// <summary>The split of a question: its article's, by the same stable hash as trials, so an article is in one split only.</summary>
    public static string SplitOf(EvidenceInferenceQuestion question) => TrialSplit.Of(question.Pmcid);

    /// <summary>The key its examples are stored under (one question, two orientations).</summary>
    public static string KeyOf(EvidenceInferenceQuestion question) => $"{PairKind}:{question.PromptId}";

    /// <summary>Checks every record (a bad one is an <see cref="ArgumentException"/> naming it and the field) and stores the lot.</summary>
    public async Task<(EvidenceInferenceImportResult Result, IReadOnlyList<DatasetCount> Counts)> ImportQuestionsAsync(IReadOnlyList<EvidenceInferenceQuestionRecord>? records, CancellationToken cancellationToken)
    {
        if (records is null || records.Count == 0) throw new ArgumentException("questions: the request holds no question");
        var questions = new List<EvidenceInferenceQuestion>(records.Count);
        var seen = new Dictionary<long, int>();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i] ?? throw new ArgumentException($"questions[{i}]: null");
            var question = EvidenceInferenceQuestion.Create(r.Pmcid, r.PromptId, r.Intervention, r.Comparator, r.Outcome, r.Label, r.Annotations, $"questions[{i}]");
            if (question.Label is null) throw new ArgumentException($"questions[{i}] (prompt_id {question.PromptId}): field 'label' is missing; a training question needs its answer");
            if (!seen.TryAdd(question.PromptId, i)) throw new ArgumentException($"questions[{i}] (prompt_id {question.PromptId}): field 'promptId' repeats questions[{seen[question.PromptId]}]");
            questions.Add(question);
        }

        var datasetId = await repository.EnsureDatasetAsync(options.DatasetName, StepFormat.TemplateVersion, cancellationToken);
        var questionsAdded = await repository.AddEvidenceQuestionsAsync(questions.Select(q => (q, SplitOf(q))).ToList(), cancellationToken);
        var examples = questions.SelectMany(q => Examples(datasetId, q)).ToList();
        var stored = await repository.ExistingAsync(examples.Select(e => e.Id).ToList(), cancellationToken);
        var examplesAdded = await repository.AddExamplesAsync(examples.Where(e => !stored.Contains(e.Id)).ToList(), cancellationToken);
        // Every split's questions become RL prompts too; the learner picks the split it trains or evaluates on.
        var promptsAdded = await prompts.AddPromptsAsync(questions.Select(q => VerifiablePrompts.FromEvidenceQuestion(datasetId, q)).ToList(), cancellationToken);
        logger.LogInformation("evidence inference: {Questions} questions ({QuestionsAdded} new), {ExamplesAdded} new examples and {PromptsAdded} new prompts in dataset {Dataset}",
            questions.Count, questionsAdded, examplesAdded, promptsAdded, options.DatasetName);
        var sources = await repository.SourceCountsAsync(datasetId, cancellationToken);
        var counts = await repository.CountsAsync(datasetId, cancellationToken);
        return (new EvidenceInferenceImportResult(datasetId, options.DatasetName, questions.Count, questionsAdded, examplesAdded, sources, promptsAdded), counts);
    }

    /// <summary>A question's step examples (comparator → intervention and back) with their grounded traces.</summary>
    public static IReadOnlyList<StepExample> Examples(Guid datasetId, EvidenceInferenceQuestion question)
    {
        var split = SplitOf(question);
        var key = KeyOf(question);
        return EvidenceSteps.FromQuestion(question).Select(step => new StepExample(StepExample.IdOf(datasetId, key, step.Orientation), datasetId, key, PairKind,
            Relation, step.Orientation, step.Factor, step.Observed, split, [question.Pmcid], step.Prompt, EvidenceTeacher.Write(step))).ToList();
    }

    public async Task<EvidenceArticleImportResult> ImportArticlesAsync(IReadOnlyList<EvidenceArticleRecord>? records, CancellationToken cancellationToken)
    {
        if (records is null || records.Count == 0) throw new ArgumentException("articles: the request holds no article");
        var articles = new List<EvidenceArticle>(records.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i] ?? throw new ArgumentException($"articles[{i}]: null");
            if (string.IsNullOrWhiteSpace(r.Pmcid)) throw new ArgumentException($"articles[{i}]: field 'pmcid' is missing");
            if (string.IsNullOrWhiteSpace(r.Text)) throw new ArgumentException($"articles[{i}] ({r.Pmcid}): field 'text' is empty");
            if (!seen.Add(r.Pmcid.Trim())) throw new ArgumentException($"articles[{i}] ({r.Pmcid}): field 'pmcid' repeats an earlier article of the request");
            articles.Add(new EvidenceArticle(r.Pmcid.Trim(), r.Text));
        }
        var datasetId = await repository.EnsureDatasetAsync(options.DatasetName, StepFormat.TemplateVersion, cancellationToken);
        var (added, stored) = await repository.AddArticlesAsync(datasetId, articles, cancellationToken);
        logger.LogInformation("evidence inference: {Articles} articles ({Added} new), {Stored} stored", articles.Count, added, stored);
        return new EvidenceArticleImportResult(articles.Count, added, stored);
    }
}
