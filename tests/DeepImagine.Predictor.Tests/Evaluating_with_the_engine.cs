using System.Text.Json;
using System.Text.Json.Nodes;
using DeepImagine.Evaluation;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Evaluation;

namespace DeepImagine.Predictor.Tests;

public sealed class Evaluating_with_the_engine
{
    [Fact]
    public void The_deepimagine_method_predicts_every_fold_from_the_other_folds_as_anchors()
    {
        using var store = new TinyOperators(withBase: true);
        var directory = Path.Combine(store.Root, "eval");
        Directory.CreateDirectory(directory);
        var train = Path.Combine(directory, "train.json");
        File.WriteAllText(train, new JsonObject { ["items"] = JsonSerializer.SerializeToNode(Knowledge.Items().ToList()) }.ToJsonString());
        var options = new PredictorOptions { BaseModel = TinyOperators.BaseName, MaxNewTokens = 8 };
        var request = new EvaluateRequest(new CtOpenTask(), [train], null, ["prior", DeepImagineMethod.MethodName], Path.Combine(directory, "out"), 2, [], "test")
        {
            ModelMethods = new Dictionary<string, Func<IOutcomeMethod>> { [DeepImagineMethod.MethodName] = DeepImagineMethod.Factory(store.Root, options) },
        };
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = EvaluationHarness.Run(request, output, errors);

        Assert.Equal(0, exit);
        var lines = File.ReadAllLines(Path.Combine(directory, "out", "deepimagine.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(10, lines.Count);
        Assert.All(lines, l => Assert.Equal(1.0, l["probabilities"]!.AsArray().Sum(p => p!.GetValue<double>()), 4));
        // Each fold's anchors are the other fold's items: every question finds some, so none falls back to the prior.
        Assert.DoesNotContain("could not be answered", errors.ToString());
    }

    [Fact]
    public void Is_unavailable_with_the_reason_when_the_store_has_no_base_model()
    {
        using var empty = new TinyOperators(withBase: false);
        var error = Assert.Throws<MethodUnavailableException>(() => DeepImagineMethod.Factory(empty.Root, new PredictorOptions()));
        Assert.Contains("has no 'deepimagine-base' model", error.Message);
    }
}
