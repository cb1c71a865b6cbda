using System.Globalization;
using System.Text.RegularExpressions;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Evaluation.Tests;

/// <summary>
/// The Evidence Inference counts that SOURCE.md and data/README.md's table state are read from them and checked against
/// the bundled files (questions by label, articles, the article subset's size).
/// </summary>
public partial class Stating_the_evidence_inference_counts
{
    private static string Folder => Path.Combine(Trials.Tests.RepoData.Root, "data", "evidence-inference");

    private static string Note => File.ReadAllText(Path.Combine(Folder, "SOURCE.md"));

    private static string TableRow(string file) =>
        File.ReadAllLines(Path.Combine(Trials.Tests.RepoData.Root, "data", "README.md")).Single(l => l.StartsWith($"| `evidence-inference/{file}`", StringComparison.Ordinal));

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public void The_questions_are_as_many_per_label_and_article_as_SOURCE_md_and_the_data_table_say()
    {
        var questions = EvidenceInferenceFile.ReadQuestions(RepoFiles.EvidenceInference);
        var counts = QuestionCounts().Match(Note);
        var labels = LabelCounts().Match(Note);
        var row = TableCounts().Match(TableRow("questions.jsonl.gz"));

        Assert.True(counts.Success && labels.Success && row.Success, "SOURCE.md or data/README.md no longer states the question counts in the expected words");
        Assert.Equal(Number(counts, "questions"), questions.Count);
        Assert.Equal(Number(counts, "articles"), questions.Select(q => q.Pmcid).Distinct().Count());
        Assert.Equal(Number(labels, "none"), questions.Count(q => q.Label == EvidenceInferenceLabels.NoDifference));
        Assert.Equal(Number(labels, "increased"), questions.Count(q => q.Label == EvidenceInferenceLabels.Increased));
        Assert.Equal(Number(labels, "decreased"), questions.Count(q => q.Label == EvidenceInferenceLabels.Decreased));
        Assert.Equal((questions.Count, questions.Select(q => q.Pmcid).Distinct().Count()), (Number(row, "first"), Number(row, "second")));
    }

    [Fact]
    public void The_bundled_articles_are_the_subset_SOURCE_md_describes_and_share_no_article_with_the_questions()
    {
        var articles = EvidenceInferenceFile.ReadArticles(Path.Combine(Folder, "unlabelled-articles.jsonl.gz")).ToList();
        var subset = SubsetCounts().Match(Note);
        var row = TableCounts().Match(TableRow("unlabelled-articles.jsonl.gz"));
        var questionArticles = EvidenceInferenceFile.ReadQuestions(RepoFiles.EvidenceInference).Select(q => q.Pmcid).ToHashSet();

        Assert.True(subset.Success && row.Success, "SOURCE.md or data/README.md no longer states the article subset in the expected words");
        Assert.Equal(Number(subset, "articles"), articles.Count);
        Assert.Equal(Number(subset, "characters"), articles.Sum(a => a.Text.Length));
        Assert.Equal((articles.Count, articles.Sum(a => a.Text.Length)), (Number(row, "first"), Number(row, "second")));
        Assert.Equal(articles.Count, articles.Select(a => a.Pmcid).Distinct().Count());
        Assert.All(articles, a => Assert.False(string.IsNullOrWhiteSpace(a.Text), a.Pmcid));
        Assert.DoesNotContain(articles, a => questionArticles.Contains(a.Pmcid));
        // The documented order: SHA-256 of "deepimagine-pretrain:" + pmcid, ascending.
        var keys = articles.Select(a => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("deepimagine-pretrain:" + a.Pmcid)))).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
    }

    [GeneratedRegex(@"(?<questions>[\d,]+) questions from (?<articles>[\d,]+) articles")]
    private static partial Regex QuestionCounts();

    [GeneratedRegex(@"no significant difference (?<none>[\d,]+), significantly increased (?<increased>[\d,]+), significantly decreased (?<decreased>[\d,]+)")]
    private static partial Regex LabelCounts();

    [GeneratedRegex(@"(?<articles>[\d,]+) articles with non-empty text that come first in the order of SHA-256\(""deepimagine-pretrain:"" \+ pmcid\),\s+(?<characters>[\d,]+) characters")]
    private static partial Regex SubsetCounts();

    [GeneratedRegex(@"\| (?<first>[\d,]+) (questions|articles), (?<second>[\d,]+) (articles|characters) \|")]
    private static partial Regex TableCounts();
}
