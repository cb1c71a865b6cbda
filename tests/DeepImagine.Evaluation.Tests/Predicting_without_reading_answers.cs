using System.Text.Json.Nodes;
using DeepImagine.Evaluation.Tasks;

namespace DeepImagine.Evaluation.Tests;

public sealed class Predicting_without_reading_answers : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-eval-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Removing_the_answers_from_the_predict_file_gives_the_same_predictions()
    {
        var items = (JsonNode.Parse(File.ReadAllText(RepoFiles.Winter2025))!["items"] as JsonArray)!;
        var train = Write("train.json", items.Where((_, i) => i % 2 == 0));
        var withAnswers = Write("predict.json", items.Where((_, i) => i % 2 == 1));
        var withoutAnswers = Write("predict-blind.json", items.Where((_, i) => i % 2 == 1), removeAnswers: true);

        var seen = Run(train, withAnswers, "seen");
        var blind = Run(train, withoutAnswers, "blind");

        foreach (var method in new[] { "prior", "logreg", "forest" })
        {
            var a = File.ReadAllLines(Path.Combine(seen, method + ".jsonl"));
            var b = File.ReadAllLines(Path.Combine(blind, method + ".jsonl"));
            Assert.Equal(items.Where((_, i) => i % 2 == 1).Sum(item => item!["questions"]!.AsArray().Count), a.Length);
            Assert.Equal(a, b);
        }
        Assert.True(File.Exists(Path.Combine(seen, "report.md")));
        Assert.False(File.Exists(Path.Combine(blind, "report.md"))); // nothing to score without answers
    }

    [Fact]
    public void A_model_based_method_is_refused_plainly_with_exit_code_2_while_the_others_run()
    {
        var items = (JsonNode.Parse(File.ReadAllText(RepoFiles.Winter2025))!["items"] as JsonArray)!;
        var train = Write("train.json", items.Take(200));
        var predict = Write("predict.json", items.Skip(200).Take(50));
        var errors = new StringWriter();
        var output = Path.Combine(_folder, "out");

        var exit = EvaluationHarness.Run(new EvaluateRequest(new CtOpenTask(), [train], predict, ["prior", "deepimagine"], output, null, [], "test"), TextWriter.Null, errors);

        Assert.Equal(2, exit);
        Assert.Contains("method 'deepimagine' is not available", errors.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "prior.jsonl")));
        Assert.False(File.Exists(Path.Combine(output, "deepimagine.jsonl")));
    }

    private string Run(string train, string predict, string name)
    {
        var output = Path.Combine(_folder, name);
        var exit = EvaluationHarness.Run(new EvaluateRequest(new CtOpenTask(), [train], predict, ["prior", "logreg", "forest"], output, null, [], "test"), TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, exit);
        return output;
    }

    private string Write(string name, IEnumerable<JsonNode?> items, bool removeAnswers = false)
    {
        var copy = new JsonArray(items.Select(i => i!.DeepClone()).ToArray());
        if (removeAnswers)
        {
            foreach (var item in copy)
                foreach (var question in item!["questions"]!.AsArray()) question!.AsObject().Remove("answer_index");
        }
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, new JsonObject { ["items"] = copy }.ToJsonString());
        return path;
    }
}
