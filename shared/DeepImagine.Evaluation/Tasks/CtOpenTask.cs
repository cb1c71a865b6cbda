using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Evaluation.Tasks;

/// <summary>
/// CT Open: files in the benchmark layout (data/benchmarks/ct-open/README.md), one prediction per (nct_id,
/// endpoint_key, question index), grouped by NCT id.
/// </summary>
public sealed class CtOpenTask : IEvaluationTask
{
    public string Name => "ct-open";

    public string GroupName => "NCT id";

    public ITaskScorer Scorer { get; } = new CtOpenScorer();

    public IReadOnlyList<TargetQuestion> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no CT Open file at '{path}'", path);
        JsonArray array;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new ArgumentException($"{path}: empty JSON");
            array = root["items"] as JsonArray ?? throw new ArgumentException($"{path}: no 'items' array (CT Open layout: {{\"items\": [...]}})");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{path}: not a CT Open file: {ex.Message}", ex);
        }
        var items = array.Select((node, i) =>
        {
            try
            {
                return node.Deserialize<CtOpenItem>() ?? throw new ArgumentException($"{path}: items[{i}] is null");
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{path}: items[{i}] (nct_id {node?["nct_id"]?.ToJsonString() ?? "missing"}): {ex.Message}", ex);
            }
        }).ToList();
        return items.SelectMany(item => Questions(item, $"{path}: item {item.NctId}")).ToList();
    }

    /// <summary>The item's questions with their answers (where given), checked and featurized.</summary>
    public static IEnumerable<TargetQuestion> Questions(CtOpenItem item, string recordForErrors)
    {
        if (string.IsNullOrWhiteSpace(item.NctId)) throw new ArgumentException($"{recordForErrors}: field 'nct_id' is missing");
        // What a method may see of the item: its questions without any answer.
        var unanswered = item with { Questions = item.Questions.Select(q => q with { AnswerIndex = null }).ToList() };
        for (var index = 0; index < item.Questions.Count; index++)
        {
            var question = item.Questions[index];
            var record = $"{recordForErrors}, endpoint '{item.Endpoint.Measure}', question {index}";
            if (question.Options is null) throw new ArgumentException($"{record}: field 'options' is missing");
            var cls = QuestionClasses.Of(item.MetaLabel, question.Options.Count, record);
            if (question.AnswerIndex is { } answer && (answer < 0 || answer >= question.Options.Count))
                throw new ArgumentException($"{record}: field 'answer_index' is {answer}, outside the {question.Options.Count} options");
            yield return new TargetQuestion(
                new EvalQuestion(item.NctId, [item.NctId, item.EndpointKey, index.ToString(CultureInfo.InvariantCulture)], cls, question.Options.Count, Features(item, question, cls))
                {
                    Context = Context(item),
                    Options = question.Options,
                    Item = unanswered,
                    QuestionIndex = index,
                },
                question.AnswerIndex);
        }
    }

    /// <summary>Known-answer questions built from result trials (the same builder the RL prompts use).</summary>
    public static IEnumerable<LabelledQuestion> Knowledge(IEnumerable<CtOpenItem> builtItems) =>
        builtItems.SelectMany(item => Questions(item, $"built question of {item.NctId}"))
            .Select(q => new LabelledQuestion(q.Question, q.Answer!.Value, Built: true));

    public string PredictionLine(EvalQuestion question, double[] probabilities, string? note)
    {
        var decision = string.Join(", ", probabilities.Select(p => p.ToString("0.####", CultureInfo.InvariantCulture)));
        var line = new JsonObject
        {
            ["nct_id"] = question.Id[0],
            ["endpoint_key"] = question.Id[1],
            ["question_index"] = int.Parse(question.Id[2], CultureInfo.InvariantCulture),
            ["probabilities"] = new JsonArray(probabilities.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()),
            ["output"] = (note is null ? "" : $"No answer from the method ({note}); class prior given.\n") + $"DECISION: ({decision})",
        };
        return line.ToJsonString();
    }

    /// <summary>Title, arms with their interventions, and the endpoint, one per line.</summary>
    public static string Context(CtOpenItem item)
    {
        var lines = new List<string> { $"Trial {item.NctId}: {item.BriefTitle}" };
        foreach (var arm in item.Arms)
        {
            var interventions = string.Join("; ", (arm.Interventions ?? []).Select(i => $"{i.Name} ({i.Type})"));
            lines.Add($"Arm {arm.Label} [{arm.Type}]: {interventions}{(string.IsNullOrWhiteSpace(arm.Description) ? "" : " — " + arm.Description)}");
        }
        lines.Add($"Endpoint ({(item.Endpoint.OutcomeType == "primaryOutcomes" ? "primary" : "secondary")}): {item.Endpoint.Measure}");
        if (!string.IsNullOrWhiteSpace(item.Endpoint.Description)) lines.Add($"Description: {item.Endpoint.Description}");
        if (!string.IsNullOrWhiteSpace(item.Endpoint.TimeFrame)) lines.Add($"Time frame: {item.Endpoint.TimeFrame}");
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Question and trial as tokens: class and meta label, the compared arms' types (X = the arm claimed better, Y the
    /// other), placebo/active comparators, primary/secondary, words of endpoint, time frame, title and interventions.
    /// </summary>
    public static IReadOnlyList<string> Features(CtOpenItem item, CtOpenQuestion question, string cls)
    {
        var features = new List<string> { "class:" + cls, "meta:" + item.MetaLabel, "otype:" + item.Endpoint.OutcomeType, "narms:" + Math.Min(item.Arms.Count, 5) };
        var compared = ComparedArms(item, question, cls);
        if (compared.Count >= 1) features.AddRange(ArmFeatures("x", compared[0]));
        if (compared.Count >= 2) features.AddRange(ArmFeatures("y", compared[1]));
        if (compared.Count >= 2) features.Add($"pair:{compared[0].Type}|{compared[1].Type}");
        foreach (var arm in item.Arms)
        {
            features.Add("armtype:" + arm.Type);
            foreach (var iv in arm.Interventions ?? []) features.Add("ivtype:" + iv.Type);
            foreach (var iv in arm.Interventions ?? []) features.AddRange(FeatureWords.Of("iv:", iv.Name));
        }
        if (item.Arms.Any(IsPlacebo)) features.Add("has_placebo");
        if (item.Arms.Any(a => a.Type == "ACTIVE_COMPARATOR")) features.Add("has_active_comparator");
        features.AddRange(FeatureWords.Of("m:", item.Endpoint.Measure));
        features.AddRange(FeatureWords.Of("d:", item.Endpoint.Description));
        features.AddRange(FeatureWords.Of("tf:", item.Endpoint.TimeFrame));
        features.AddRange(FeatureWords.Of("t:", item.BriefTitle));
        if (item.ListedArms is { } listed)
        {
            features.Add("nlisted:" + Math.Min(listed.Count, 5));
            features.AddRange(listed.Select(a => "ltype:" + a.Type));
        }
        return features;
    }

    /// <summary>The arms a question names, X first: explicit options read "arm X … over arm Y"; 3-way's last option "between X and Y".</summary>
    private static List<CtOpenArm> ComparedArms(CtOpenItem item, CtOpenQuestion question, string cls)
    {
        var text = cls == QuestionClasses.ThreeWay ? question.Options[2] : question.Options[0];
        var found = new List<(int Position, CtOpenArm Arm)>();
        foreach (var arm in item.Arms.Where(a => !string.IsNullOrWhiteSpace(a.Label)).OrderByDescending(a => a.Label!.Length))
        {
            var at = text.IndexOf(arm.Label!, StringComparison.OrdinalIgnoreCase);
            if (at >= 0 && !found.Any(f => at >= f.Position && at < f.Position + f.Arm.Label!.Length)) found.Add((at, arm));
        }
        return found.OrderBy(f => f.Position).Select(f => f.Arm).ToList();
    }

    private static IEnumerable<string> ArmFeatures(string side, CtOpenArm arm)
    {
        yield return $"{side}type:{arm.Type}";
        if (IsPlacebo(arm)) yield return side + "_placebo";
        foreach (var word in FeatureWords.Of(side + "label:", arm.Label)) yield return word;
    }

    private static bool IsPlacebo(CtOpenArm arm) =>
        arm.Type is "PLACEBO_COMPARATOR" or "SHAM_COMPARATOR"
        || (arm.Interventions ?? []).Any(i => (i.Name ?? "").Contains("placebo", StringComparison.OrdinalIgnoreCase));
}
