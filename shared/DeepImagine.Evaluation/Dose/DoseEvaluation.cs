using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepImagine.Imagining;

namespace DeepImagine.Evaluation.Dose;

public sealed record DoseEvaluateRequest(string? Train, string? Test, string? Data, double HoldoutFraction, int Seed, string OutDirectory, string Command)
{
    /// <summary>The methods to run, in order (<see cref="DoseEvaluation.AllMethodNames"/>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = DoseEvaluation.MethodNames;

    /// <summary>
    /// Loads the dose operator for <c>deepimagine</c>; throws <see cref="Methods.MethodUnavailableException"/> with the
    /// reason when there is none (the method is then refused, the others still run, exit 2). Null: refused too.
    /// </summary>
    public Func<DoseOperator>? DoseOperator { get; init; }

    /// <summary>Print the scoreboard stored in the output folder when nothing it depends on changed (<see cref="ResultCache"/>).</summary>
    public bool Reuse { get; init; }

    /// <summary>What the dose operator's answers depend on beyond this library (its model versions, the predictor's code).</summary>
    public string OperatorKey { get; init; } = "";
}

/// <summary>One method's scores on the test protocols.</summary>
public sealed record DoseScore(string Method, int Targets, double DirectionAccuracy, double StandardizedMae, double Coverage);

/// <summary>
/// The clinDR dose-response evaluation: from placebo and the lowest active dose, predict the placebo-adjusted result at
/// every other dose. Metrics: direction accuracy of the change from the anchor (up, down, or within
/// <see cref="SameBand"/> pooled SDs), mean absolute error in pooled-SD units, and coverage of a 90% interval whose
/// half-width is the method's 90th-percentile absolute error on the training protocols.
/// </summary>
public static class DoseEvaluation
{
    public const double SameBand = 0.1;
    public const double IntervalLevel = 0.9;

    /// <summary>The baselines (need nothing trained): the default of <c>evaluate-dose --methods</c>.</summary>
    public static readonly IReadOnlyList<string> MethodNames = ["copy", "loglinear", "emax"];

    public static readonly IReadOnlyList<string> AllMethodNames = [.. MethodNames, DeepImagineDoseMethod.MethodName];

    /// <summary>Validates a comma-separated list of dose methods, in the order given, without duplicates.</summary>
    public static IReadOnlyList<string> ParseMethods(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new ArgumentException($"--methods is empty; give a comma-separated list of {string.Join(", ", AllMethodNames)}");
        foreach (var name in names.Where(n => !AllMethodNames.Contains(n)))
            throw new ArgumentException($"--methods: '{name}' is not a dose method; use any of {string.Join(", ", AllMethodNames)}");
        return names;
    }

    public static IDoseMethod Create(string name, Func<DoseOperator>? doseOperator = null) => name switch
    {
        "copy" => new CopyDoseMethod(),
        "loglinear" => new LogLinearDoseMethod(),
        "emax" => new EmaxDoseMethod(),
        DeepImagineDoseMethod.MethodName => new DeepImagineDoseMethod((doseOperator ?? throw new Methods.MethodUnavailableException(name,
            "no dose operator was given to the evaluation (give --model-store with a trained deepimagine-base-dose)"))()),
        _ => throw new ArgumentException($"'{name}' is not a dose method; use any of {string.Join(", ", AllMethodNames)}"),
    };

    public static int Run(DoseEvaluateRequest request, TextWriter output, TextWriter? errors = null)
    {
        errors ??= output;
        var (train, test) = Split(request);
        if (train.Count == 0) throw new ArgumentException("the training protocols hold no usable protocol (placebo, two or more active doses, a spread)");
        if (test.Count == 0) throw new ArgumentException("the test protocols hold no usable protocol (placebo, two or more active doses, a spread)");
        output.WriteLine($"dose: train_protocols={train.Count} test_protocols={test.Count} targets={test.Sum(p => p.Targets.Count)}");
        Directory.CreateDirectory(request.OutDirectory);
        var key = CacheKey(request, train, test);
        if (request.Reuse && ResultCache.Read(request.OutDirectory, key) is { } stored)
        {
            output.WriteLine($"reusing the results in {request.OutDirectory}: same protocols, methods, operator and code as when they were written");
            output.Write(stored);
            return 0;
        }
        var scoreboard = new StringWriter();
        var exit = RunMethods(request, train, test, scoreboard, errors);
        output.Write(scoreboard.ToString());
        // Only a complete run is kept for reuse: a refused method must be tried again next time.
        if (exit == 0) ResultCache.Write(request.OutDirectory, key, scoreboard.ToString());
        return exit;
    }

    /// <summary>A digest of everything the scores depend on: the split protocols' points, methods, seed, the operator and the code.</summary>
    private static string CacheKey(DoseEvaluateRequest request, IReadOnlyList<DoseProtocol> train, IReadOnlyList<DoseProtocol> test)
    {
        var text = new StringBuilder();
        text.Append("methods=").Append(string.Join(',', request.Methods)).Append('\n').Append("operator=").Append(request.OperatorKey).Append('\n');
        foreach (var assembly in new[] { typeof(DoseEvaluation).Assembly, typeof(StepFormat).Assembly, typeof(Trials.Trial).Assembly, typeof(Pairs.PairSide).Assembly })
            text.Append("code=").Append(assembly.GetName().Name).Append(' ').Append(assembly.ManifestModule.ModuleVersionId).Append('\n');
        foreach (var (kind, protocols) in new[] { ("train", train), ("test", test) })
        {
            foreach (var p in protocols)
            {
                text.Append(kind).Append('\t').Append(p.Id).Append('\t').Append(p.Endpoint).Append('\t').Append(p.EndpointType).Append('\t').Append(p.PooledSd.ToString("R", CultureInfo.InvariantCulture))
                    .Append('\t').AppendJoin('|', p.ActiveDoses.Select(d => FormattableString.Invariant($"{d.Dose:R}:{d.Value:R}"))).Append('\n');
            }
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static int RunMethods(DoseEvaluateRequest request, IReadOnlyList<DoseProtocol> train, IReadOnlyList<DoseProtocol> test, TextWriter output, TextWriter errors)
    {
        var scores = new List<DoseScore>();
        var points = new List<(string Method, double Observed, double Predicted)>();
        using var predictions = new StreamWriter(Path.Combine(request.OutDirectory, "dose-predictions.jsonl"));
        var unavailable = new List<string>();
        string? operatorNote = null;
        foreach (var name in request.Methods)
        {
            IDoseMethod method;
            try
            {
                method = Create(name, request.DoseOperator);
            }
            catch (Methods.MethodUnavailableException ex)
            {
                errors.WriteLine(ex.Message);
                unavailable.Add(name);
                continue;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            method.Fit(train);
            if (method is DeepImagineDoseMethod deepImagine)
            {
                deepImagine.Prepare([.. train, .. test]);
                var answers = deepImagine.DirectionCounts(test);
                operatorNote = $"operator {deepImagine.OperatorDescription}, {train.Concat(test).Sum(p => p.Targets.Count)} steps (train and test protocols) in {clock.Elapsed.TotalSeconds:0.0} s; " +
                               "answers on the test doses " + string.Join(" ", ResultScoring.Directions.Select(d => $"{StepFormat.Word(d)}={answers.GetValueOrDefault(d)}"));
                output.WriteLine($"method '{name}': {operatorNote}");
                if (deepImagine.Unanswered.Count > 0)
                    errors.WriteLine($"method '{name}': {deepImagine.Unanswered.Count} steps could not be written and count as no change (first: {deepImagine.Unanswered[0]})");
            }
            var score = Score(method, train, test, out var lines);
            scores.Add(score);
            foreach (var line in lines) predictions.WriteLine(line);
            points.AddRange(test.SelectMany(p => p.Targets.Select(t => (name, t.StandardizedEffect, method.Predict(p, t.Dose)))).Where(x => double.IsFinite(x.Item3)));
        }
        const string plot = "dose-predicted-vs-observed.png";
        PredictedVersusObserved(Path.Combine(request.OutDirectory, plot), points);
        var table = new StringBuilder();
        table.AppendLine($"{"method",-10} {"targets",7} {"dir_acc",8} {"smae",8} {"coverage",8}");
        foreach (var s in scores) table.AppendLine($"{s.Method,-10} {s.Targets,7} {F(s.DirectionAccuracy),8} {F(s.StandardizedMae),8} {F(s.Coverage),8}");
        File.WriteAllText(Path.Combine(request.OutDirectory, "report.md"),
            $"# clinDR dose-response evaluation\n\nCommand: `{request.Command}`  \nDate: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n" +
            $"Train protocols {train.Count}, test protocols {test.Count}, predicted doses {test.Sum(p => p.Targets.Count)}. " +
            $"Effects are placebo-adjusted in pooled-SD units; direction is up / down / same (within {SameBand} SD) from the anchor " +
            $"(placebo + lowest active dose); coverage is the share inside the method's {IntervalLevel:0%} interval (half-width from its training errors).\n\n" +
            "| method | targets | dir_acc | smae | coverage |\n|---|---|---|---|---|\n" +
            string.Concat(scores.Select(s => $"| {s.Method} | {s.Targets} | {F(s.DirectionAccuracy)} | {F(s.StandardizedMae)} | {F(s.Coverage)} |\n")) +
            (operatorNote is null ? "" : $"\n`deepimagine`: {operatorNote}. Value: direction from the operator, size from the pooled log-linear slope (at least {SameBand} SD), the anchor for same.\n") +
            (unavailable.Count == 0 ? "" : $"\nNot run (unavailable): {string.Join(", ", unavailable)}.\n") +
            $"\n![predicted against observed]({plot})\n");
        output.Write(table);
        output.WriteLine($"report: {Path.Combine(request.OutDirectory, "report.md")}");
        output.WriteLine(string.Join(" ", scores.Select(s => $"{s.Method}_dir_acc={F(s.DirectionAccuracy)} {s.Method}_smae={F(s.StandardizedMae)} {s.Method}_coverage={F(s.Coverage)}")));
        return unavailable.Count > 0 ? 2 : 0;
    }

    public static DoseScore Score(IDoseMethod method, IReadOnlyList<DoseProtocol> train, IReadOnlyList<DoseProtocol> test, out List<string> lines)
    {
        var trainErrors = train.SelectMany(p => p.Targets.Select(t => Math.Abs(method.Predict(p, t.Dose) - t.StandardizedEffect))).Where(double.IsFinite).Order().ToList();
        var halfWidth = trainErrors.Count == 0 ? 0 : trainErrors[Math.Min(trainErrors.Count - 1, (int)Math.Ceiling(IntervalLevel * trainErrors.Count) - 1)];
        int targets = 0, rightDirection = 0, covered = 0;
        var absoluteError = 0.0;
        lines = [];
        foreach (var protocol in test)
        {
            foreach (var target in protocol.Targets)
            {
                var predicted = method.Predict(protocol, target.Dose);
                if (!double.IsFinite(predicted)) predicted = protocol.Anchor.StandardizedEffect; // a degenerate fit says "no change"
                targets++;
                if (Direction(predicted - protocol.Anchor.StandardizedEffect) == Direction(target.StandardizedEffect - protocol.Anchor.StandardizedEffect)) rightDirection++;
                absoluteError += Math.Abs(predicted - target.StandardizedEffect);
                if (Math.Abs(predicted - target.StandardizedEffect) <= halfWidth) covered++;
                lines.Add(new JsonObject
                {
                    ["method"] = method.Name, ["protocol"] = protocol.Id, ["endpoint"] = protocol.Endpoint,
                    ["anchor_dose"] = protocol.Anchor.Dose, ["anchor_effect_sd"] = protocol.Anchor.StandardizedEffect,
                    ["dose"] = target.Dose, ["observed_effect_sd"] = target.StandardizedEffect, ["predicted_effect_sd"] = predicted,
                    ["interval_half_width_sd"] = halfWidth,
                }.ToJsonString());
            }
        }
        return new DoseScore(method.Name, targets, targets == 0 ? double.NaN : rightDirection / (double)targets,
            targets == 0 ? double.NaN : absoluteError / targets, targets == 0 ? double.NaN : covered / (double)targets);
    }

    private static void PredictedVersusObserved(string path, IReadOnlyList<(string Method, double Observed, double Predicted)> points)
    {
        var plot = new ScottPlot.Plot();
        var all = points.SelectMany(p => new[] { p.Observed, p.Predicted }).ToList();
        double low = all.Count == 0 ? -1 : all.Min(), high = all.Count == 0 ? 1 : all.Max();
        var diagonal = plot.Add.Line(low, low, high, high);
        diagonal.LineColor = ScottPlot.Colors.Gray;
        diagonal.LinePattern = ScottPlot.LinePattern.Dashed;
        diagonal.LegendText = "predicted = observed";
        foreach (var group in points.GroupBy(p => p.Method))
        {
            var scatter = plot.Add.ScatterPoints(group.Select(p => p.Observed).ToArray(), group.Select(p => p.Predicted).ToArray());
            scatter.LegendText = group.Key;
            scatter.MarkerSize = 5;
        }
        plot.Title("Placebo-adjusted effect at the predicted doses (pooled SDs)");
        plot.XLabel("observed");
        plot.YLabel("predicted from the anchor");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 640, 520);
    }

    /// <summary>+1 up, −1 down, 0 within <see cref="SameBand"/> pooled SDs.</summary>
    public static int Direction(double change) => Math.Abs(change) < SameBand ? 0 : Math.Sign(change);

    /// <summary>--train/--test as given, or --data split by a seeded hash of the protocol id (the same split every run).</summary>
    public static (IReadOnlyList<DoseProtocol> Train, IReadOnlyList<DoseProtocol> Test) Split(DoseEvaluateRequest request)
    {
        if (request.Data is { } data)
        {
            if (request.Train is not null || request.Test is not null) throw new ArgumentException("--data excludes --train and --test: give one or the other");
            if (request.HoldoutFraction is <= 0 or >= 1) throw new ArgumentException($"--holdout-fraction must be between 0 and 1 (got {request.HoldoutFraction})");
            var all = DoseProtocol.Load(data);
            var test = all.Where(p => IsHeldOut(p.Id, request.Seed, request.HoldoutFraction)).ToList();
            return (all.Except(test).ToList(), test);
        }
        if (request.Train is null || request.Test is null) throw new ArgumentException("give --train DIR and --test DIR, or --data DIR with --holdout-fraction");
        return (DoseProtocol.Load(request.Train), DoseProtocol.Load(request.Test));
    }

    public static bool IsHeldOut(string protocolId, int seed, double fraction)
    {
        var hash = 2166136261u;
        foreach (var c in $"{seed}:{protocolId}")
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash % 10000 < fraction * 10000;
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.000", CultureInfo.InvariantCulture);
}
