using System.Text.Json.Nodes;
using DeepImagine.Evaluation.Dose;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Tests;

namespace DeepImagine.Cli.Tests;

public sealed class Evaluating_dose_with_a_tiny_operator : IDisposable
{
    private const string Header = "taid,protid,gname,drugtype,route,etype,poptype,primtype,endpointShort,endpointLong,primtime,timeunit,dose,rslt,se,sd,sampsize";
    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-dose-tiny-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_stores_dose_operator_reads_a_step_for_every_target_of_every_test_protocol()
    {
        using var store = new TinyOperators(withBase: true, "dose", "arm");
        using var loaded = new EvaluateCommands.DisposableList();
        var options = new PredictorOptions { BaseModel = TinyOperators.BaseName, MaxNewTokens = 8 };
        var request = Request() with { DoseOperator = EvaluateCommands.DoseOperatorFactory(store.Root, options, loaded) };
        var output = new StringWriter();

        var exit = DoseEvaluation.Run(request, output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains($"operator {TinyOperators.BaseName}-dose@v1 (on {TinyOperators.BaseName}@v1)", output.ToString());
        var lines = File.ReadAllLines(Path.Combine(_folder, "out", "dose-predictions.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string)l["method"]! == DeepImagineDoseMethod.MethodName).ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.True(double.IsFinite((double)l["predicted_effect_sd"]!)));
        // Whatever the random operator says, the value follows the rule: the anchor for same, else at least 0.1 SD away.
        Assert.All(lines, l =>
        {
            var change = Math.Abs((double)l["predicted_effect_sd"]! - (double)l["anchor_effect_sd"]!);
            Assert.True(change == 0 || change >= DoseEvaluation.SameBand - 1e-12, $"change {change}");
        });
        Assert.Matches(@"deepimagine_dir_acc=\d\.\d{3} deepimagine_smae=\d\.\d{3} deepimagine_coverage=\d\.\d{3}", output.ToString());
    }

    [Fact]
    public void A_store_without_the_base_model_refuses_deepimagine_naming_the_store()
    {
        using var empty = new TinyOperators(withBase: false);
        using var loaded = new EvaluateCommands.DisposableList();
        var options = new PredictorOptions { BaseModel = TinyOperators.BaseName };
        var missing = Path.Combine(_folder, "no-store");
        var errors = new StringWriter();

        var exit = DoseEvaluation.Run(Request() with { DoseOperator = EvaluateCommands.DoseOperatorFactory(empty.Root, options, loaded) }, new StringWriter(), errors);
        var exitMissing = DoseEvaluation.Run(Request() with { DoseOperator = EvaluateCommands.DoseOperatorFactory(missing, options, loaded) }, new StringWriter(), new StringWriter());

        Assert.Equal(2, exit);
        Assert.Equal(2, exitMissing);
        Assert.Contains($"method 'deepimagine' is not available: the model store '{Path.GetFullPath(empty.Root)}' has no '{TinyOperators.BaseName}' model", errors.ToString());
        Assert.False(Directory.Exists(missing)); // a mistyped store is not created
    }

    private DoseEvaluateRequest Request()
    {
        var train = WriteCsv("train", string.Join("\n", Enumerable.Range(1, 3).SelectMany(p => new[] { 0.0, 1, 2, 4 }.Select(d => Row(p, d, d == 0 ? 0 : 0.6 * Math.Log(d))))));
        var test = WriteCsv("test", string.Join("\n", new[] { 4, 5 }.SelectMany(p => new[] { (0.0, 10.0), (5, 12), (10, 14), (20, 15) }.Select(g => Row(p, g.Item1, g.Item2)))));
        return new DoseEvaluateRequest(train, test, null, 0.25, 1, Path.Combine(_folder, "out"), "test") { Methods = ["loglinear", DeepImagineDoseMethod.MethodName] };
    }

    private string WriteCsv(string name, string rows)
    {
        var directory = Path.Combine(_folder, name);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "metaData.csv");
        File.WriteAllText(path, Header + "\n" + rows + "\n");
        return path;
    }

    private static string Row(int protid, double dose, double mean) =>
        FormattableString.Invariant($"1,{protid},testdrug,SMALL MOLECULE,oral,1,1,CONTINUOUS,FEV1,Forced expiratory volume,12,weeks,{dose},{mean},,2,10");
}
