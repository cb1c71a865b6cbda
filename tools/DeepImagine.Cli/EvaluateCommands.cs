using System.CommandLine;
using DeepImagine.Evaluation;
using DeepImagine.Evaluation.Dose;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;
using DeepImagine.GpuLearner;
using DeepImagine.Model.Store;
using DeepImagine.Model;
using Microsoft.Extensions.Configuration;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Evaluation;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine evaluate</c> (CT Open, Evidence Inference) and <c>deepimagine evaluate-dose</c> (clinDR).</summary>
internal static class EvaluateCommands
{
    public static Command Evaluate()
    {
        var task = new Option<string>("--task") { Description = "ct-open or evidence-inference", DefaultValueFactory = _ => "ct-open" };
        task.AcceptOnlyFromAmong("ct-open", "evidence-inference");
        var train = new Option<string[]>("--train") { Description = "files with known answers (CT Open JSON, or Evidence Inference questions.jsonl[.gz])", Required = true, AllowMultipleArgumentsPerToken = true };
        var predict = new Option<string?>("--predict") { Description = "file of questions to predict (answers, if present, are used only for scoring)" };
        var methods = new Option<string>("--methods") { Description = $"comma-separated: {string.Join(", ", MethodCatalog.All)}", DefaultValueFactory = _ => "prior,logreg,forest" };
        var output = new Option<string>("--out") { Description = "folder for <method>.jsonl, report.md and plots", Required = true };
        var cv = new Option<int?>("--cv") { Description = "grouped K-fold cross-validation on the train files instead of --predict" };
        var knowledgeTrials = new Option<string>("--knowledge-trials") { Description = "CT Open: folder of trial records whose reported analyses become known-answer questions", DefaultValueFactory = _ => "data" };
        var noKnowledge = new Option<bool>("--no-knowledge") { Description = "CT Open: train on the train files only" };
        var model = new Option<string?>("--model") { Description = $"direct, rag: model NAME[:VERSION] of the store (default: the newest {StoredModels.AllFactorsModel}, else {StoredModels.BaseModel})" };
        var modelStore = new Option<string?>("--model-store") { Description = "direct, rag, deepimagine: the model store's folder (default: gpu-learner's, where make train writes: GpuLearner__ModelStore or ~/.deepimagine/model-store)" };
        var neighbours = new Option<int>("--rag-neighbours") { Description = "rag: known items put in the prompt", DefaultValueFactory = _ => LanguageModelMethod.DefaultNeighbours };
        var reuse = new Option<bool>("--reuse") { Description = "print the earlier scoreboard in --out instead of running again when inputs, methods, model and code are unchanged" };
        var command = new Command("evaluate", "Predict benchmark questions with each method, write predictions, score them when answers are known.")
            { task, train, predict, methods, output, cv, knowledgeTrials, noKnowledge, model, modelStore, neighbours, reuse };
        command.SetAction(result =>
        {
            IEvaluationTask chosen = result.GetValue(task) == "evidence-inference" ? new EvidenceInferenceTask() : new CtOpenTask();
            var names = MethodCatalog.Parse(result.GetValue(methods)!);
            var knowledge = chosen is CtOpenTask && !result.GetValue(noKnowledge)
                ? EvaluationHarness.CtOpenKnowledge(result.GetValue(knowledgeTrials)!, Console.Out)
                : [];
            if (result.GetValue(neighbours) < 1) throw new ArgumentException($"--rag-neighbours must be at least 1 (got {result.GetValue(neighbours)})");
            using var source = names.Any(n => n is "direct" or "rag") ? LanguageModel(result.GetValue(model), result.GetValue(modelStore)) : null;
            var request = new EvaluateRequest(chosen, result.GetValue(train)!, result.GetValue(predict), names, result.GetValue(output)!,
                result.GetValue(cv), knowledge, "deepimagine " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)))
            {
                LanguageModel = source is null ? null : new LanguageModelSettings(source, result.GetValue(neighbours)),
                Reuse = result.GetValue(reuse),
                ModelMethods = names.Contains(DeepImagineMethod.MethodName) ? new Dictionary<string, Func<IOutcomeMethod>>
                {
                    [DeepImagineMethod.MethodName] = DeepImagineFactory(ModelStoreRoot(result.GetValue(modelStore))),
                } : new Dictionary<string, Func<IOutcomeMethod>>(),
                ModelMethodsKey = names.Contains(DeepImagineMethod.MethodName) ? OperatorsKey(ModelStoreRoot(result.GetValue(modelStore)), new PredictorOptions().BaseModel) : "",
            };
            return EvaluationHarness.Run(request, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>
    /// The model direct and rag score with. A model named with --model that is not there is the user's mistake (exit 2
    /// before anything runs); an empty default store only refuses those two methods (the others still run, exit 2),
    /// with the message naming what to run.
    /// </summary>
    private static LanguageModelSource LanguageModel(string? spec, string? storeDirectory)
    {
        var root = ModelStoreRoot(storeDirectory);
        if (!Directory.Exists(Path.Combine(root, "models")))
        {
            var reason = $"no model store at {root}: run `make train` (it pretrains {StoredModels.BaseModel}), or give --model-store DIR";
            if (spec is not null || storeDirectory is not null) throw new DirectoryNotFoundException("--model-store: " + reason);
            return LanguageModelSource.Unavailable(reason);
        }
        var store = new ModelStore(root);
        StoredVersion version;
        try
        {
            version = StoredModels.Resolve(store, spec);
        }
        catch (ArgumentException ex) when (spec is null)
        {
            return LanguageModelSource.Unavailable(ex.Message);
        }
        var description = StoredModels.Describe(version);
        return LanguageModelSource.From(description, () =>
        {
            var (weights, tokenizer) = StoredModels.Load(store, version, TorchDevice.Default);
            return new ScoringModel(weights, tokenizer, description);
        });
    }

    /// <summary>--model-store, else gpu-learner's store as its settings resolve it (GpuLearner__ModelStore, else ~/.deepimagine/model-store).</summary>
    private static string ModelStoreRoot(string? given) =>
        given ?? CliHost.LoadSettings().GetSection(LearnerOptions.SectionName).Get<LearnerOptions>()?.ResolvedModelStore() ?? new LearnerOptions().ResolvedModelStore();

    /// <summary>
    /// What deepimagine's results depend on outside the evaluation library: the predictor's code and every model it may
    /// load as an operator (the base and its adapters: newest version and manifest digest), so a retrained operator is
    /// never answered from the cache.
    /// </summary>
    internal static string OperatorsKey(string modelStore, string baseName)
    {
        var key = new System.Text.StringBuilder($"predictor={typeof(DeepImagineMethod).Assembly.ManifestModule.ModuleVersionId}");
        if (!Directory.Exists(Path.Combine(modelStore, "models"))) return key.Append(" store=none").ToString();
        foreach (var version in new ModelStore(modelStore).AllVersions().Where(v => v.Manifest.Name == baseName || v.Manifest.Name.StartsWith(baseName + "-", StringComparison.Ordinal)))
        {
            var manifest = File.ReadAllBytes(Path.Combine(version.Directory, ModelStore.ManifestFile));
            key.Append(' ').Append(version.Manifest.Name).Append("@v").Append(version.Manifest.Version).Append('=')
                .Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest)));
        }
        return key.ToString();
    }

    /// <summary>The predictor's engine in process on the store's operators; a store without them makes the method unavailable (reported, exit 2).</summary>
    private static Func<IOutcomeMethod> DeepImagineFactory(string modelStore)
    {
        try
        {
            return DeepImagineMethod.Factory(modelStore, new PredictorOptions());
        }
        catch (MethodUnavailableException unavailable)
        {
            return () => throw unavailable;
        }
    }

    public static Command EvaluateDose()
    {
        var train = new Option<string?>("--train") { Description = "folder (or metaData.csv) of training protocols" };
        var test = new Option<string?>("--test") { Description = "folder (or metaData.csv) of test protocols" };
        var data = new Option<string?>("--data") { Description = "one folder split into train and test by --holdout-fraction (instead of --train/--test)" };
        var holdout = new Option<double>("--holdout-fraction") { Description = "share of protocols held out for testing with --data", DefaultValueFactory = _ => 0.25 };
        var seed = new Option<int>("--seed") { Description = "seed of the --data split", DefaultValueFactory = _ => GroupedFolds.DefaultSeed };
        var output = new Option<string>("--out") { Description = "folder for predictions.jsonl and report.md", Required = true };
        var methods = new Option<string>("--methods") { Description = $"comma-separated: {string.Join(", ", DoseEvaluation.AllMethodNames)}", DefaultValueFactory = _ => string.Join(',', DoseEvaluation.MethodNames) };
        var modelStore = new Option<string?>("--model-store") { Description = "deepimagine: the model store whose newest deepimagine-base-dose operator reads the dose steps (default: gpu-learner's, GpuLearner__ModelStore or ~/.deepimagine/model-store)" };
        var reuse = new Option<bool>("--reuse") { Description = "print the earlier scoreboard in --out instead of running again when protocols, methods, operator and code are unchanged" };
        var command = new Command("evaluate-dose", "Predict the placebo-adjusted result at every other dose from the placebo + lowest-dose anchor (clinDR layout).")
            { train, test, data, holdout, seed, output, methods, modelStore, reuse };
        command.SetAction(result =>
        {
            var names = DoseEvaluation.ParseMethods(result.GetValue(methods)!);
            var options = new PredictorOptions();
            using var loaded = new DisposableList();
            var request = new DoseEvaluateRequest(result.GetValue(train), result.GetValue(test), result.GetValue(data), result.GetValue(holdout), result.GetValue(seed),
                result.GetValue(output)!, "deepimagine " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)))
            {
                Methods = names,
                DoseOperator = names.Contains(DeepImagineDoseMethod.MethodName) ? DoseOperatorFactory(ModelStoreRoot(result.GetValue(modelStore)), options, loaded) : null,
                OperatorKey = names.Contains(DeepImagineDoseMethod.MethodName) ? OperatorsKey(ModelStoreRoot(result.GetValue(modelStore)), options.BaseModel) : "",
                Reuse = result.GetValue(reuse),
            };
            return DoseEvaluation.Run(request, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>
    /// The predictor's dose operator (the newest <c>&lt;base&gt;-dose</c> LoRA on the newest base, as the predictor picks
    /// it: <see cref="OperatorSet"/>) reading steps as the predictor does (<see cref="StepRunner"/>: greedy trace, then the
    /// constrained RESULT reading). A store without the base model refuses the method with the reason.
    /// </summary>
    internal static Func<DoseOperator> DoseOperatorFactory(string modelStore, PredictorOptions options, ICollection<IDisposable> loaded) => () =>
    {
        options.Validate();
        // Looked at before opening: opening a store creates its folder, and a mistyped path must not become an empty store.
        if (!Directory.Exists(Path.Combine(modelStore, "models")) || new ModelStore(modelStore).Find(options.BaseModel) is null)
            throw new MethodUnavailableException(DeepImagineDoseMethod.MethodName,
                $"the model store '{Path.GetFullPath(modelStore)}' has no '{options.BaseModel}' model and so no dose operator (run make train, or give --model-store)");
        var set = OperatorSet.Load(new ModelStore(modelStore), options.BaseModel)!;
        loaded.Add(set);
        var dose = set.For(DeepImagine.Pairs.Factors.Dose);
        return new DoseOperator(dose.Version, prompts => StepRunner.Run(dose, prompts, options.MaxNewTokens).Select(o => o.Parsed).ToList());
    };

    /// <summary>What the command loaded, released when it ends.</summary>
    internal sealed class DisposableList : List<IDisposable>, IDisposable
    {
        public void Dispose()
        {
            foreach (var item in this) item.Dispose();
        }
    }
}
