using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepImagine.Evaluation.Tasks;

/// <summary>
/// Evidence Inference (data/evidence-inference/SOURCE.md): one question a line (<c>pmcid</c>, <c>prompt_id</c>,
/// <c>intervention</c>, <c>comparator</c>, <c>outcome</c>, optional <c>label</c>), grouped by article.
/// </summary>
public sealed class EvidenceInferenceTask : IEvaluationTask
{
    public const string QuestionClass = "3-label";

    /// <summary>Option order of every prediction.</summary>
    public static readonly IReadOnlyList<string> Labels = ["significantly increased", "significantly decreased", "no significant difference"];

    public string Name => "evidence-inference";

    public string GroupName => "pmcid";

    public ITaskScorer Scorer { get; } = new EvidenceInferenceScorer();

    public IReadOnlyList<TargetQuestion> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no Evidence Inference file at '{path}'", path);
        using var stream = File.OpenRead(path);
        using var reader = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8)
            : new StreamReader(stream, Encoding.UTF8);
        var questions = new List<TargetQuestion>();
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
            questions.Add(Parse(json, record));
        }
        return questions;
    }

    public static TargetQuestion Parse(JsonObject json, string record)
    {
        var pmcid = Text(json, "pmcid", record) ?? throw new ArgumentException($"{record}: field 'pmcid' is missing");
        var promptId = json["prompt_id"] is JsonValue v && v.TryGetValue<long>(out var id) ? id
            : throw new ArgumentException($"{record}: field 'prompt_id' is missing or not a whole number");
        record = $"{record} (prompt_id {promptId})";
        var intervention = Text(json, "intervention", record) ?? throw new ArgumentException($"{record}: field 'intervention' is missing");
        var comparator = Text(json, "comparator", record) ?? throw new ArgumentException($"{record}: field 'comparator' is missing");
        var outcome = Text(json, "outcome", record) ?? throw new ArgumentException($"{record}: field 'outcome' is missing");
        int? answer = null;
        if (Text(json, "label", record) is { } label)
        {
            var index = Labels.ToList().FindIndex(l => string.Equals(l, label.Trim(), StringComparison.OrdinalIgnoreCase));
            if (index < 0) throw new ArgumentException($"{record}: field 'label' is '{label}'; expected one of {string.Join(", ", Labels)}");
            answer = index;
        }
        var features = new List<string> { "class:" + QuestionClass };
        features.AddRange(FeatureWords.Of("i:", intervention));
        features.AddRange(FeatureWords.Of("c:", comparator));
        features.AddRange(FeatureWords.Of("o:", outcome));
        if (comparator.Contains("placebo", StringComparison.OrdinalIgnoreCase)) features.Add("c_placebo");
        if (comparator.Contains("baseline", StringComparison.OrdinalIgnoreCase)) features.Add("c_baseline");
        var question = new EvalQuestion(pmcid, [promptId.ToString(CultureInfo.InvariantCulture)], QuestionClass, Labels.Count, features)
        {
            Context = $"With respect to {outcome}, characterize the reported difference between {intervention} and those receiving {comparator}.",
            Options = Labels,
        };
        return new TargetQuestion(question, answer);
    }

    public string PredictionLine(EvalQuestion question, double[] probabilities, string? note)
    {
        var line = new JsonObject
        {
            ["prompt_id"] = long.Parse(question.Id[0], CultureInfo.InvariantCulture),
            ["probabilities"] = new JsonObject(Labels.Select((l, i) => KeyValuePair.Create(l, (JsonNode?)JsonValue.Create(probabilities[i])))),
        };
        if (note is not null) line["note"] = $"no answer from the method ({note}); class prior given";
        return line.ToJsonString();
    }

    private static string? Text(JsonObject json, string field, string record) => json[field] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s,
        JsonValue value => value.ToJsonString(),
        _ => throw new ArgumentException($"{record}: field '{field}' is not text"),
    };
}
