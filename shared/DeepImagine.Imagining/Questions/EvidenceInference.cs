using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepImagine.Imagining.Questions;

/// <summary>The three answers of an Evidence Inference question, in the option order every consumer uses.</summary>
public static class EvidenceInferenceLabels
{
    public const string Increased = "significantly increased";
    public const string Decreased = "significantly decreased";
    public const string NoDifference = "no significant difference";

    public static readonly IReadOnlyList<string> All = [Increased, Decreased, NoDifference];

    /// <summary>The label's index in <see cref="All"/>, case-insensitive; -1 when it is none of them.</summary>
    public static int IndexOf(string label) =>
        All.ToList().FindIndex(l => string.Equals(l, label.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One Evidence Inference question (data/evidence-inference/SOURCE.md): with respect to <see cref="Outcome"/>, how did
/// <see cref="Intervention"/> compare with <see cref="Comparator"/> in the article <see cref="Pmcid"/>? <see cref="Label"/> is
/// the annotators' answer (one of <see cref="EvidenceInferenceLabels.All"/>), null in a file to be predicted.
/// </summary>
public sealed record EvidenceInferenceQuestion(string Pmcid, long PromptId, string Intervention, string Comparator, string Outcome, string? Label, int? Annotations)
{
    /// <summary>The label's index in <see cref="EvidenceInferenceLabels.All"/>, or null without a label.</summary>
    public int? LabelIndex => Label is null ? null : EvidenceInferenceLabels.IndexOf(Label);

    /// <summary>The question's wording in the dataset's own form.</summary>
    public string Text => $"With respect to {Outcome}, characterize the reported difference between {Intervention} and those receiving {Comparator}.";

    /// <summary>
    /// A question checked field by field: text fields non-empty, prompt id positive, label one of the three (or absent),
    /// annotations not negative. <paramref name="record"/> names it in every error.
    /// </summary>
    public static EvidenceInferenceQuestion Create(string? pmcid, long? promptId, string? intervention, string? comparator, string? outcome, string? label, int? annotations, string record)
    {
        if (string.IsNullOrWhiteSpace(pmcid)) throw new ArgumentException($"{record}: field 'pmcid' is missing");
        if (promptId is not { } id || id <= 0) throw new ArgumentException($"{record}: field 'prompt_id' is missing or not a positive whole number");
        record = $"{record} (prompt_id {id})";
        if (string.IsNullOrWhiteSpace(intervention)) throw new ArgumentException($"{record}: field 'intervention' is missing");
        if (string.IsNullOrWhiteSpace(comparator)) throw new ArgumentException($"{record}: field 'comparator' is missing");
        if (string.IsNullOrWhiteSpace(outcome)) throw new ArgumentException($"{record}: field 'outcome' is missing");
        string? canonical = null;
        if (!string.IsNullOrWhiteSpace(label))
        {
            var index = EvidenceInferenceLabels.IndexOf(label);
            if (index < 0) throw new ArgumentException($"{record}: field 'label' is '{label}'; expected one of {string.Join(", ", EvidenceInferenceLabels.All)}");
            canonical = EvidenceInferenceLabels.All[index];
        }
        if (annotations is < 0) throw new ArgumentException($"{record}: field 'n_annotations' is {annotations}; expected 0 or more");
        return new EvidenceInferenceQuestion(pmcid.Trim(), id, intervention.Trim(), comparator.Trim(), outcome.Trim(), canonical, annotations);
    }
}

/// <summary>One unlabelled trial report (<c>pmcid</c>, <c>text</c>): domain text for pretraining.</summary>
public sealed record EvidenceArticle(string Pmcid, string Text);

/// <summary>
/// The one reader of the Evidence Inference files (<c>questions.jsonl[.gz]</c>, <c>unlabelled-articles.jsonl[.gz]</c>):
/// one JSON object a line; a bad line is an <see cref="ArgumentException"/> naming the file, the line and the field.
/// </summary>
public static class EvidenceInferenceFile
{
    public static IReadOnlyList<EvidenceInferenceQuestion> ReadQuestions(string path) =>
        Lines(path).Select(l => ParseQuestion(l.Json, l.Record)).ToList();

    public static IEnumerable<EvidenceArticle> ReadArticles(string path) => Lines(path).Select(l =>
    {
        var pmcid = Text(l.Json, "pmcid", l.Record);
        if (string.IsNullOrWhiteSpace(pmcid)) throw new ArgumentException($"{l.Record}: field 'pmcid' is missing");
        var text = Text(l.Json, "text", l.Record) ?? throw new ArgumentException($"{l.Record} ({pmcid}): field 'text' is missing");
        return new EvidenceArticle(pmcid.Trim(), text);
    });

    public static EvidenceInferenceQuestion ParseQuestion(JsonObject json, string record)
    {
        long? promptId = json["prompt_id"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<long>(out var id) => id,
            _ => throw new ArgumentException($"{record}: field 'prompt_id' is missing or not a whole number"),
        };
        int? annotations = json["n_annotations"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<int>(out var n) => n,
            _ => throw new ArgumentException($"{record}: field 'n_annotations' is not a whole number"),
        };
        return EvidenceInferenceQuestion.Create(Text(json, "pmcid", record), promptId, Text(json, "intervention", record), Text(json, "comparator", record),
            Text(json, "outcome", record), Text(json, "label", record), annotations, record);
    }

    /// <summary>Which Evidence Inference file this is, by the fields of its first record: "questions", "articles" or null.</summary>
    public static string? KindOf(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var first = Lines(path).FirstOrDefault();
            if (first.Json is null) return null;
            if (first.Json.ContainsKey("pmcid") && first.Json.ContainsKey("prompt_id") && first.Json.ContainsKey("intervention")) return "questions";
            if (first.Json.ContainsKey("pmcid") && first.Json.ContainsKey("text")) return "articles";
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException)
        {
            return null;
        }
    }

    private static IEnumerable<(JsonObject Json, string Record)> Lines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no Evidence Inference file at '{path}'", path);
        using var stream = File.OpenRead(path);
        using var reader = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8)
            : new StreamReader(stream, Encoding.UTF8);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            var record = $"{Path.GetFileName(path)} line {lineNumber}";
            JsonObject json;
            try
            {
                json = JsonNode.Parse(line) as JsonObject ?? throw new ArgumentException($"{record}: not a JSON object");
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{record}: not valid JSON: {ex.Message}", ex);
            }
            yield return (json, record);
        }
    }

    private static string? Text(JsonObject json, string field, string record) => json[field] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s,
        JsonValue value => value.ToJsonString(),
        _ => throw new ArgumentException($"{record}: field '{field}' is not text"),
    };
}
