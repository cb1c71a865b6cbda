using System.Text.Json.Nodes;
using DeepImagine.Evaluation.Dose;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Imagining;
using DeepImagine.Pairs;

namespace DeepImagine.Evaluation.Tests;

public sealed class Evaluating_dose_with_the_operator : IDisposable
{
    private const string Header = "taid,protid,gname,drugtype,route,etype,poptype,primtype,endpointShort,endpointLong,primtime,timeunit,dose,rslt,se,sd,sampsize";
    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-dose-operator-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_step_is_the_one_trace_generator_writes_for_the_mined_dose_pair()
    {
        var protocol = Assert.Single(DoseProtocol.Load(WriteCsv("one", TestProtocol(4))));
        var target = protocol.Targets[^1];
        var trial = protocol.Trial!;
        var pair = NaturalPairMiner.Mine(trial, new TrialRef(0, trial.TrialId, trial.Source, trial.SourceRecordId, 1))
            .Single(p => p.Factors.SequenceEqual([Factors.Dose]) && p.A.OutcomeId == protocol.Outcome!.Id
                         && new[] { p.A.GroupId, p.B.GroupId }.Order().SequenceEqual(new[] { protocol.Anchor.Measurement!.GroupId, target.Measurement!.GroupId }.Order()));
        var trained = PairSteps.FromPair(pair, trial, trial).Single(s => s.From.GroupId == protocol.Anchor.Measurement!.GroupId);

        var prompt = DoseSteps.Prompt(protocol, target, out var why);

        Assert.Null(why);
        Assert.Equal(trained.Prompt, prompt);
        // The anchor's own value is the state; the target's value is what is asked, never shown.
        Assert.Contains("12", prompt!.User);
        Assert.DoesNotContain("15", prompt.User);
        Assert.DoesNotContain("14", prompt.User);
    }

    [Theory]
    [InlineData(ResultDirection.Higher, new[] { 1.1, 1 + 0.3 * 0.6931471805599453, 1 + 0.3 * 1.3862943611198906 })]
    [InlineData(ResultDirection.Lower, new[] { 0.9, 1 - 0.3 * 0.6931471805599453, 1 - 0.3 * 1.3862943611198906 })]
    [InlineData(ResultDirection.Same, new[] { 1.0, 1.0, 1.0 })]
    public void The_value_takes_the_operators_direction_and_the_pooled_log_linear_size_of_at_least_the_same_band(ResultDirection answer, double[] expected)
    {
        // Training effects are 0.3 ln(dose) in SD units, so the pooled slope is 0.3; the test anchor (dose 5) is 1 SD.
        // Dose 6 is 0.3 ln 1.2 = 0.055 SD away on the log-linear curve: less than the 0.1 SD a direction needs.
        var (train, test) = Split(TrainingProtocols(), TestProtocol(4));
        var method = new DeepImagineDoseMethod(Answering(answer));
        method.Fit(train);
        var protocol = Assert.Single(test);

        var predicted = protocol.Targets.Select(t => method.Predict(protocol, t.Dose)).ToArray();

        Assert.Equal([6.0, 10, 20], protocol.Targets.Select(t => t.Dose));
        Assert.Equal(expected, predicted, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Every_target_dose_of_every_test_protocol_is_predicted_in_one_batch_of_steps()
    {
        var batches = new List<int>();
        var request = Request(["copy", DeepImagineDoseMethod.MethodName]) with
        {
            DoseOperator = () => new DoseOperator("fake-dose@v3", prompts =>
            {
                batches.Add(prompts.Count);
                return prompts.Select(_ => ImaginedResult.Of(ResultDirection.Higher, null, null)).ToList();
            }),
        };
        var output = new StringWriter();

        var exit = DoseEvaluation.Run(request, output, new StringWriter());

        Assert.Equal(0, exit);
        // 3 training protocols × 2 targets and 2 test protocols × 3 targets: every step read at once.
        Assert.Equal([12], batches);
        var lines = File.ReadAllLines(Path.Combine(_folder, "out", "dose-predictions.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string)l["method"]! == DeepImagineDoseMethod.MethodName).ToList();
        Assert.Equal(6, lines.Count);
        Assert.Equal(2, lines.Select(l => (string)l["protocol"]!).Distinct().Count());
        Assert.All(lines, l => Assert.True((double)l["predicted_effect_sd"]! > (double)l["anchor_effect_sd"]!));
        Assert.Contains("deepimagine_dir_acc=", output.ToString());
        Assert.Contains("operator fake-dose@v3", output.ToString());
        Assert.Contains("answers on the test doses higher=6 lower=0 same=0", File.ReadAllText(Path.Combine(_folder, "out", "report.md")));
    }

    [Fact]
    public void Without_an_operator_deepimagine_is_refused_and_the_baselines_still_run()
    {
        var errors = new StringWriter();
        var output = new StringWriter();
        var unavailable = Request(["loglinear", DeepImagineDoseMethod.MethodName]) with
        {
            DoseOperator = () => throw new MethodUnavailableException(DeepImagineDoseMethod.MethodName, "the model store '/x' has no 'deepimagine-base' model"),
        };

        var exit = DoseEvaluation.Run(unavailable, output, errors);
        var exitWithNone = DoseEvaluation.Run(Request([DeepImagineDoseMethod.MethodName]), new StringWriter(), new StringWriter());

        Assert.Equal(2, exit);
        Assert.Equal(2, exitWithNone);
        Assert.Contains("method 'deepimagine' is not available: the model store '/x' has no 'deepimagine-base' model", errors.ToString());
        Assert.Contains("loglinear_dir_acc=", output.ToString());
        Assert.DoesNotContain("deepimagine_dir_acc", output.ToString());
    }

    [Fact]
    public void A_second_run_with_nothing_changed_reprints_the_scores_without_asking_the_operator()
    {
        var reads = 0;
        DoseEvaluateRequest WithOperator(string key) => Request(["loglinear", DeepImagineDoseMethod.MethodName]) with
        {
            Reuse = true,
            OperatorKey = key,
            DoseOperator = () => new DoseOperator("fake", prompts =>
            {
                reads++;
                return prompts.Select(_ => ImaginedResult.Of(ResultDirection.Lower, null, null)).ToList();
            }),
        };
        var first = new StringWriter();
        var second = new StringWriter();
        var retrained = new StringWriter();

        DoseEvaluation.Run(WithOperator("dose@v1"), first, new StringWriter());
        DoseEvaluation.Run(WithOperator("dose@v1"), second, new StringWriter());
        DoseEvaluation.Run(WithOperator("dose@v2"), retrained, new StringWriter());

        Assert.Equal(2, reads); // the first run and the one with a new operator
        Assert.Contains("reusing the results", second.ToString());
        Assert.EndsWith(first.ToString().Split('\n', 2)[1], second.ToString());
        Assert.DoesNotContain("reusing the results", retrained.ToString());
    }

    [Fact]
    public void An_unknown_dose_method_is_named_in_the_error()
    {
        var error = Assert.Throws<ArgumentException>(() => DoseEvaluation.ParseMethods("copy,imagine"));

        Assert.Contains("'imagine' is not a dose method", error.Message);
        Assert.Equal(["emax", "deepimagine"], DoseEvaluation.ParseMethods("emax, deepimagine,emax"));
    }

    private DoseEvaluateRequest Request(IReadOnlyList<string> methods)
    {
        var train = WriteCsv("train", TrainingProtocols());
        var test = WriteCsv("test", TestProtocol(4) + "\n" + TestProtocol(5));
        return new DoseEvaluateRequest(train, test, null, 0.25, 1, Path.Combine(_folder, "out"), "test") { Methods = methods };
    }

    private (IReadOnlyList<DoseProtocol> Train, IReadOnlyList<DoseProtocol> Test) Split(string train, string test) =>
        (DoseProtocol.Load(WriteCsv("train", train)), DoseProtocol.Load(WriteCsv("test", test)));

    private static DoseOperator Answering(ResultDirection direction) =>
        new("fake", prompts => prompts.Select(_ => ImaginedResult.Of(direction, null, null)).ToList());

    /// <summary>Three protocols with effect 0.3 ln(dose) SD (SD 2, so the mean is twice that over placebo 0).</summary>
    private static string TrainingProtocols() => string.Join("\n", Enumerable.Range(1, 3).SelectMany(p =>
        new[] { 0.0, 1, 2, 4 }.Select(d => Row(p, d, d == 0 ? 0 : 2 * 0.3 * Math.Log(d)))));

    /// <summary>Placebo 10, doses 5 / 6 / 10 / 20 at 12 / 12.5 / 14 / 15 (SD 2): effects 1, 1.25, 2, 2.5 SD.</summary>
    private static string TestProtocol(int protid) =>
        string.Join("\n", Row(protid, 0, 10), Row(protid, 5, 12), Row(protid, 6, 12.5), Row(protid, 10, 14), Row(protid, 20, 15));

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
