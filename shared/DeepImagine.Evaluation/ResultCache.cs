using System.Security.Cryptography;
using System.Text;
using DeepImagine.Evaluation.Methods;

namespace DeepImagine.Evaluation;

/// <summary>
/// Lets a repeated evaluation with nothing changed print its earlier scoreboard instead of running again
/// (<c>evaluate --reuse</c>, so a second <c>make run</c> stays short). The key digests everything the results depend
/// on: the questions with their answers and features, the knowledge, methods, folds, seed, the language model's version,
/// the wired-in methods' models and code (<see cref="EvaluateRequest.ModelMethodsKey"/>)
/// and the code of the evaluation and model libraries (their assemblies' module ids change with every build that
/// changes them).
/// </summary>
public static class ResultCache
{
    public const string KeyFile = "evaluation.key";
    public const string ScoreboardFile = "scoreboard.txt";

    public static string Key(EvaluateRequest request, IReadOnlyList<LabelledQuestion> train, IReadOnlyList<TargetQuestion> targets, IReadOnlyList<LabelledQuestion> knowledge)
    {
        var text = new StringBuilder();
        text.Append("task=").Append(request.Task.Name).Append('\n')
            .Append("methods=").Append(string.Join(',', request.Methods)).Append('\n')
            .Append("cv=").Append(request.CrossValidationFolds).Append(" seed=").Append(request.Seed).Append('\n')
            .Append("model=").Append(request.LanguageModel is { } lm ? $"{lm.Source.Description} neighbours={lm.Neighbours}" : "none").Append('\n')
            .Append("model_methods=").Append(request.ModelMethodsKey).Append('\n');
        foreach (var assembly in new[] { typeof(ResultCache).Assembly, typeof(Imagining.Questions.QuestionPrompt).Assembly, typeof(Model.OptionScoring).Assembly })
            text.Append("code=").Append(assembly.GetName().Name).Append(' ').Append(assembly.ManifestModule.ModuleVersionId).Append('\n');
        void Add(string kind, EvalQuestion q, int? answer) =>
            text.Append(kind).Append('\t').Append(q.Key).Append('\t').Append(q.QuestionClass).Append('\t').Append(answer).Append('\t')
                .Append(string.Join('|', q.Features)).Append('\t').Append(q.Context).Append('\t').Append(string.Join('|', q.Options)).Append('\n');
        foreach (var t in train) Add("train", t.Question, t.Answer);
        foreach (var t in targets) Add("target", t.Question, t.Answer);
        foreach (var k in knowledge) Add(k.Built ? "built" : "known", k.Question, k.Answer);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The stored scoreboard when the folder's key is <paramref name="key"/> and every file it names is still there.</summary>
    public static string? Read(string directory, string key)
    {
        var keyPath = Path.Combine(directory, KeyFile);
        var scoreboardPath = Path.Combine(directory, ScoreboardFile);
        if (!File.Exists(keyPath) || !File.Exists(scoreboardPath) || File.ReadAllText(keyPath).Trim() != key) return null;
        return File.ReadAllText(scoreboardPath);
    }

    /// <summary>Writes the scoreboard, then the key (last, so a half-written cache is never taken for a whole one).</summary>
    public static void Write(string directory, string key, string scoreboard)
    {
        File.Delete(Path.Combine(directory, KeyFile));
        File.WriteAllText(Path.Combine(directory, ScoreboardFile), scoreboard);
        File.WriteAllText(Path.Combine(directory, KeyFile), key);
    }
}
