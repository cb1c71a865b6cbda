using System.CommandLine;
using DeepImagine.Evaluation;
using DeepImagine.Evaluation.Dose;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;
using DeepImagine.GpuLearner;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Evaluation;

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
        var modelStore = new Option<string>("--model-store") { Description = "deepimagine: the model store with the operators (default: gpu-learner's, where make train writes)", DefaultValueFactory = _ => new LearnerOptions().ResolvedModelStore() };
        var command = new Command("evaluate", "Predict benchmark questions with each method, write predictions, score them when answers are known.")
            { task, train, predict, methods, output, cv, knowledgeTrials, noKnowledge, modelStore };
        command.SetAction(result =>
        {
            IEvaluationTask chosen = result.GetValue(task) == "evidence-inference" ? new EvidenceInferenceTask() : new CtOpenTask();
            var names = MethodCatalog.Parse(result.GetValue(methods)!);
            var knowledge = chosen is CtOpenTask && !result.GetValue(noKnowledge)
                ? EvaluationHarness.CtOpenKnowledge(result.GetValue(knowledgeTrials)!, Console.Out)
                : [];
            var request = new EvaluateRequest(chosen, result.GetValue(train)!, result.GetValue(predict), names, result.GetValue(output)!,
                result.GetValue(cv), knowledge, "deepimagine " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)))
            {
                ModelMethods = names.Contains(DeepImagineMethod.MethodName) ? new Dictionary<string, Func<IOutcomeMethod>>
                {
                    [DeepImagineMethod.MethodName] = DeepImagineFactory(result.GetValue(modelStore)!),
                } : new Dictionary<string, Func<IOutcomeMethod>>(),
            };
            return EvaluationHarness.Run(request, Console.Out, Console.Error);
        });
        return command;
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
        var command = new Command("evaluate-dose", "Predict the placebo-adjusted result at every other dose from the placebo + lowest-dose anchor (clinDR layout).")
            { train, test, data, holdout, seed, output };
        command.SetAction(result =>
        {
            var request = new DoseEvaluateRequest(result.GetValue(train), result.GetValue(test), result.GetValue(data), result.GetValue(holdout), result.GetValue(seed),
                result.GetValue(output)!, "deepimagine " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            return DoseEvaluation.Run(request, Console.Out);
        });
        return command;
    }
}
