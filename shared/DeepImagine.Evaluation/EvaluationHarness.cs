using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;
using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;

namespace DeepImagine.Evaluation;

/// <summary>What <c>deepimagine evaluate</c> was asked to do.</summary>
public sealed record EvaluateRequest(
    IEvaluationTask Task,
    IReadOnlyList<string> TrainFiles,
    string? PredictFile,
    IReadOnlyList<string> Methods,
    string OutDirectory,
    int? CrossValidationFolds,
    IReadOnlyList<LabelledQuestion> Knowledge,
    string Command,
    int Seed = GroupedFolds.DefaultSeed)
{
    /// <summary>The model <c>direct</c> and <c>rag</c> score with (null: they are refused).</summary>
    public LanguageModelSettings? LanguageModel { get; init; }

    /// <summary>Print the scoreboard stored in the output folder instead of running again when nothing it depends on changed (<see cref="ResultCache"/>).</summary>
    public bool Reuse { get; init; }

    /// <summary>Model-based methods the caller wires in (name → a fresh, unfitted method), e.g. the predictor's <c>deepimagine</c>.</summary>
    public IReadOnlyDictionary<string, Func<IOutcomeMethod>> ModelMethods { get; init; } = new Dictionary<string, Func<IOutcomeMethod>>();

    /// <summary>What the wired-in methods' results depend on beyond this library (their models' versions, their code), for <see cref="ResultCache"/>.</summary>
    public string ModelMethodsKey { get; init; } = "";
}

/// <summary>
/// Runs every method on the request (train/predict, or grouped K-fold on the train files), writes
/// DIR/&lt;method&gt;.jsonl and DIR/report.md, prints the table and the last score line. Returns 2 when a method
/// named could not run (the others still run and are reported).
/// </summary>
public static class EvaluationHarness
{
    public static int Run(EvaluateRequest request, TextWriter output, TextWriter errors)
    {
        if (request.TrainFiles.Count == 0) throw new ArgumentException("--train: give at least one file with known answers");
        if (request.CrossValidationFolds is null && request.PredictFile is null)
            throw new ArgumentException("give --predict FILE, or --cv K to cross-validate on the train file");
        if (request.CrossValidationFolds is not null && request.PredictFile is not null)
            throw new ArgumentException("--cv and --predict exclude each other: --cv predicts the train file's own questions, fold by fold");

        var task = request.Task;
        var train = new List<LabelledQuestion>();
        foreach (var file in request.TrainFiles)
        {
            foreach (var target in task.Load(file))
            {
                if (target.Answer is not { } answer)
                    throw new ArgumentException($"--train {file}: question {string.Join(" / ", target.Question.Id)} has no answer; train files need answers");
                train.Add(new LabelledQuestion(target.Question, answer));
            }
        }
        var targets = request.PredictFile is { } predictFile
            ? task.Load(predictFile)
            : train.Select(t => new TargetQuestion(t.Question, t.Answer)).ToList();
        // Knowledge about a trial (or article) being predicted would be its answer: drop it.
        var predicted = targets.Select(t => t.Question.Group).ToHashSet(StringComparer.Ordinal);
        var knowledge = request.Knowledge.Where(k => !predicted.Contains(k.Question.Group)).ToList();
        output.WriteLine($"task={task.Name} train_questions={train.Count} predict_questions={targets.Count} knowledge_questions={knowledge.Count}" +
                         (request.CrossValidationFolds is { } k ? $" cv={k} (grouped by {task.GroupName}, seed {request.Seed})" : ""));

        Directory.CreateDirectory(request.OutDirectory);
        var key = ResultCache.Key(request, train, targets, knowledge);
        if (request.Reuse && ResultCache.Read(request.OutDirectory, key) is { } stored)
        {
            output.WriteLine($"reusing the results in {request.OutDirectory}: same inputs, methods, models and code as when they were written");
            output.Write(stored);
            return 0;
        }
        var scoreboard = new StringWriter();
        var exit = RunMethods(request, train, targets, knowledge, scoreboard, errors);
        output.Write(scoreboard.ToString());
        // Only a complete run is kept for reuse: a refused method must be tried again next time.
        if (exit == 0) ResultCache.Write(request.OutDirectory, key, scoreboard.ToString());
        return exit;
    }

    private static int RunMethods(EvaluateRequest request, List<LabelledQuestion> train, IReadOnlyList<TargetQuestion> targets, List<LabelledQuestion> knowledge,
        TextWriter output, TextWriter errors)
    {
        var task = request.Task;
        var runs = new List<MethodRun>();
        var unavailable = new List<string>();
        foreach (var name in request.Methods)
        {
            IOutcomeMethod Create() => request.ModelMethods.TryGetValue(name, out var make) ? make() : MethodCatalog.Create(name, request.Seed, request.LanguageModel);
            try
            {
                Create();
            }
            catch (MethodUnavailableException ex)
            {
                errors.WriteLine(ex.Message);
                unavailable.Add(name);
                continue;
            }
            if (name is "direct" or "rag" && request.LanguageModel is { } lm) output.WriteLine($"method '{name}': model {lm.Source.Description}" + (name == "rag" ? $", {lm.Neighbours} neighbours" : ""));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var run = request.CrossValidationFolds is { } folds
                ? EvaluationRunner.CrossValidate(Create, train, knowledge, folds, request.Seed)
                : EvaluationRunner.Run(Create, [.. train, .. knowledge], targets.Select(t => t.Question).ToList());
            runs.Add(run);
            errors.WriteLine($"method '{name}': {run.Predictions.Count} questions in {clock.Elapsed.TotalSeconds:0.0} s");
            using (var writer = new StreamWriter(Path.Combine(request.OutDirectory, $"{name}.jsonl")))
            {
                foreach (var p in run.Predictions) writer.WriteLine(task.PredictionLine(p.Question, p.Probabilities, p.Note));
            }
            if (run.Fallbacks > 0)
                errors.WriteLine($"method '{name}': {run.Fallbacks} of {run.Predictions.Count} questions could not be answered and got the class prior ({string.Join("; ", run.FallbackReasons.Select(r => $"{r.Value}× {r.Key}"))})");
        }

        var answers = targets.Where(t => t.Answer is not null).ToDictionary(t => t.Question.Key, t => t.Answer!.Value);
        if (answers.Count == 0 || runs.Count == 0)
        {
            output.WriteLine(runs.Count == 0 ? "no method ran" : $"predictions written to {request.OutDirectory} (no answers known: nothing to score)");
            return unavailable.Count > 0 ? 2 : 0;
        }
        var scores = runs.Select(run =>
        {
            var items = run.Predictions.Where(p => answers.ContainsKey(p.Question.Key))
                .Select(p => new ScoredItem(p.Question.Group, p.Question.QuestionClass, answers[p.Question.Key], p.Probabilities)).ToList();
            return new MethodScore(run, task.Scorer.Score(items), Bootstrap.Intervals(items, task.Scorer, request.Seed), items);
        }).ToList();
        Report.Write(request.OutDirectory, $"{task.Name} evaluation", request.Command, task.Scorer, task.GroupName, scores, unavailable);
        output.Write(Report.Table(task.Scorer, scores));
        output.WriteLine($"report: {Path.Combine(request.OutDirectory, "report.md")}");
        output.WriteLine(Report.LastLine(task.Scorer, scores));
        return unavailable.Count > 0 ? 2 : 0;
    }

    /// <summary>
    /// CT Open knowledge: benchmark-style questions with known answers built from every result trial in the folder's
    /// record files (records that do not parse are counted, not fatal).
    /// </summary>
    public static IReadOnlyList<LabelledQuestion> CtOpenKnowledge(string trialsDirectory, TextWriter output)
    {
        if (!Directory.Exists(trialsDirectory))
            throw new DirectoryNotFoundException($"--knowledge-trials: no folder at '{trialsDirectory}'");
        var items = new List<CtOpenItem>();
        int trials = 0, rejected = 0;
        foreach (var record in SourceFiles.Read([trialsDirectory]))
        {
            if (record.Format == RecordFormat.DoseGroupTable) continue; // clinDR has no reported analyses
            try
            {
                var trial = TrialRecordParser.Parse(record);
                trials++;
                items.AddRange(OutcomeQuestionBuilder.Build(trial));
            }
            catch (TrialValidationException)
            {
                rejected++;
            }
        }
        var knowledge = CtOpenTask.Knowledge(items).ToList();
        output.WriteLine($"knowledge: {trials} trials read from {trialsDirectory} ({rejected} rejected), {knowledge.Count} questions built: " +
                         string.Join(", ", knowledge.GroupBy(k => k.Question.QuestionClass).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        return knowledge;
    }
}
