using DeepImagine.Contracts.V1;
using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;

namespace DeepImagine.Cli;

/// <summary>
/// The Evidence Inference files `import` meets (questions.jsonl.gz, unlabelled-articles.jsonl.gz; recognised by the fields
/// of their first record) are not trial records: they go to trace-generator through the gateway with the API key
/// (<c>POST /api/sources/evidence-inference</c>, <c>…/articles</c> in batches under the gateway's body limit).
/// </summary>
internal static class EvidenceInferenceImport
{
    /// <summary>Articles per request: about 26 k characters each, so a request stays well under the 8 MiB body limit.</summary>
    public const int ArticlesPerRequest = 16;

    /// <summary>The trial record files and the Evidence Inference files (with their kind) among the inputs.</summary>
    public static (IReadOnlyList<string> TrialFiles, IReadOnlyList<(string File, string Kind)> EvidenceFiles) Partition(IEnumerable<string> inputs)
    {
        var evidence = new List<(string, string)>();
        var direct = new List<string>();
        foreach (var input in inputs)
        {
            if (File.Exists(input) && EvidenceInferenceFile.KindOf(input) is { } kind) evidence.Add((input, kind));
            else direct.Add(input);
        }
        var skipped = new List<string>();
        var trialFiles = SourceFiles.Expand(direct, skipped).ToList();
        foreach (var file in skipped)
        {
            if (EvidenceInferenceFile.KindOf(file) is { } kind) evidence.Add((file, kind));
        }
        return (trialFiles, evidence);
    }

    /// <summary>Sends each file; prints one line per file. Reading a bad line throws before anything of that file is sent.</summary>
    public static async Task SendAsync(GatewayApi api, IReadOnlyList<(string File, string Kind)> files, CancellationToken cancellationToken)
    {
        foreach (var (file, kind) in files)
        {
            if (kind == "questions")
            {
                var questions = EvidenceInferenceFile.ReadQuestions(file)
                    .Select(q => new EvidenceInferenceQuestionRecord(q.Pmcid, q.PromptId, q.Intervention, q.Comparator, q.Outcome, q.Label, q.Annotations)).ToList();
                var result = await api.ImportEvidenceQuestionsAsync(new EvidenceInferenceImportRequest(questions), cancellationToken);
                var examples = string.Join(" ", result.Sources.Where(s => s.Source == ExampleSources.EvidenceInference).Select(s => $"{s.Split}={s.Examples}"));
                Console.WriteLine($"evidence_inference_questions file={file} questions={result.Questions} added={result.QuestionsAdded} examples_added={result.ExamplesAdded} prompts_added={result.PromptsAdded} dataset={result.DatasetName} {examples}".TrimEnd());
            }
            else
            {
                var articles = EvidenceInferenceFile.ReadArticles(file).Select(a => new EvidenceArticleRecord(a.Pmcid, a.Text)).ToList();
                int added = 0, stored = 0;
                foreach (var batch in articles.Chunk(ArticlesPerRequest))
                {
                    var result = await api.ImportEvidenceArticlesAsync(new EvidenceArticleImportRequest(batch), cancellationToken);
                    added += result.Added;
                    stored = result.Stored;
                }
                Console.WriteLine($"evidence_inference_articles file={file} articles={articles.Count} added={added} stored={stored}");
            }
        }
    }
}
