using System.Globalization;
using System.Text.Json.Nodes;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Evaluation.Tasks;

/// <summary>
/// Evidence Inference (data/evidence-inference/SOURCE.md): one question a line (<c>pmcid</c>, <c>prompt_id</c>,
/// <c>intervention</c>, <c>comparator</c>, <c>outcome</c>, optional <c>label</c>), grouped by article.
/// </summary>
public sealed class EvidenceInferenceTask : IEvaluationTask
{
    public const string QuestionClass = "3-label";

    /// <summary>Option order of every prediction.</summary>
    public static readonly IReadOnlyList<string> Labels = EvidenceInferenceLabels.All;

    public string Name => "evidence-inference";

    public string GroupName => "pmcid";

    public ITaskScorer Scorer { get; } = new EvidenceInferenceScorer();

    public IReadOnlyList<TargetQuestion> Load(string path) =>
        EvidenceInferenceFile.ReadQuestions(path).Select(ToTarget).ToList();

    /// <summary>One line of the file as a question (the reader of <see cref="EvidenceInferenceFile"/>, then the features).</summary>
    public static TargetQuestion Parse(JsonObject json, string record) => ToTarget(EvidenceInferenceFile.ParseQuestion(json, record));

    private static TargetQuestion ToTarget(EvidenceInferenceQuestion q)
    {
        var features = new List<string> { "class:" + QuestionClass };
        features.AddRange(FeatureWords.Of("i:", q.Intervention));
        features.AddRange(FeatureWords.Of("c:", q.Comparator));
        features.AddRange(FeatureWords.Of("o:", q.Outcome));
        if (q.Comparator.Contains("placebo", StringComparison.OrdinalIgnoreCase)) features.Add("c_placebo");
        if (q.Comparator.Contains("baseline", StringComparison.OrdinalIgnoreCase)) features.Add("c_baseline");
        var question = new EvalQuestion(q.Pmcid, [q.PromptId.ToString(CultureInfo.InvariantCulture)], QuestionClass, Labels.Count, features)
        {
            Context = q.Text,
            Options = Labels,
        };
        return new TargetQuestion(question, q.LabelIndex);
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
}
