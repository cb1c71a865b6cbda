using System.Text.Json.Nodes;
using DeepImagine.Evaluation.Methods;
using DeepImagine.Evaluation.Tasks;
using DeepImagine.Imagining.Questions;
using DeepImagine.Model;

namespace DeepImagine.Evaluation.Tests;

/// <summary>direct and rag with a tiny random model written by the test (its scores mean nothing; the mechanics do).</summary>
public sealed class Predicting_with_a_language_model : IDisposable
{
    private static readonly Lazy<ChatTokenizer> Tokenizer = new(() =>
        BpeTrainer.Train(new CtOpenTask().Load(RepoFiles.Winter2025).Take(300).SelectMany(q => q.Question.Options.Prepend(q.Question.Context))
            .Append(QuestionPrompt.SystemText).Append("ANSWER: 1 2 3"), 600));

    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-eval-lm-").FullName;
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private ScoringModel TinyModel(int context = 4096)
    {
        var config = new Qwen3Config
        {
            VocabSize = Tokenizer.Value.VocabSize, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1,
            NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 16, MaxPositionEmbeddings = context, TieWordEmbeddings = true,
        };
        var model = new ScoringModel(Qwen3ForCausalLM.CreateRandom(config, seed: 11), Tokenizer.Value, $"tiny (context {context})");
        _owned.Add(model);
        return model;
    }

    private LanguageModelSettings Settings(ScoringModel model, int neighbours = 3)
    {
        var source = LanguageModelSource.From(model.Description, () => model);
        return new LanguageModelSettings(source, neighbours);
    }

    private static (List<LabelledQuestion> Train, List<EvalQuestion> Predict) Split(int trainItems, int predictQuestions)
    {
        var all = new CtOpenTask().Load(RepoFiles.Winter2025);
        var groups = all.Select(q => q.Question.Group).Distinct().ToList();
        var trainGroups = groups.Take(trainItems).ToHashSet();
        var train = all.Where(q => trainGroups.Contains(q.Question.Group)).Select(q => new LabelledQuestion(q.Question, q.Answer!.Value)).ToList();
        var predict = all.Where(q => !trainGroups.Contains(q.Question.Group)).Take(predictQuestions).Select(q => q.Question).ToList();
        return (train, predict);
    }

    [Fact]
    public void Direct_and_rag_give_each_question_a_probability_per_option_summing_to_one()
    {
        var (train, predict) = Split(60, 12);
        var settings = Settings(TinyModel());
        foreach (var name in new[] { "direct", "rag" })
        {
            var run = EvaluationRunner.Run(() => MethodCatalog.Create(name, 1, settings), train, predict);

            Assert.Equal(0, run.Fallbacks);
            Assert.Equal(predict.Count, run.Predictions.Count);
            Assert.All(run.Predictions, p =>
            {
                Assert.Equal(p.Question.OptionCount, p.Probabilities.Length);
                Assert.Equal(1.0, p.Probabilities.Sum(), 9);
                Assert.All(p.Probabilities, x => Assert.InRange(x, 1e-9, 1.0));
            });
        }
    }

    [Fact]
    public void Option_probabilities_are_the_softmax_of_each_whole_answer_line_after_the_prompt_batched_or_alone()
    {
        var (train, predict) = Split(20, 6);
        var model = TinyModel();
        var direct = new LanguageModelMethod("direct", model, 0);
        direct.Fit(train);
        var batched = direct.PredictAll(predict);

        for (var i = 0; i < predict.Count; i++)
        {
            var q = predict[i];
            var prompt = QuestionPrompt.Build(q.Item!, q.QuestionIndex);
            var ids = model.Tokenizer.Encode(model.Tokenizer.FormatChat([new("system", prompt.System), new("user", prompt.User)], addGenerationPrompt: true));
            // By hand: every answer line scored token by token (no shared-prefix shortcut), one question alone.
            var (_, expected) = TextGenerator.ScoreOptions(model.Model, ids, prompt.AnswerLines.Select(l => model.Tokenizer.Encode(l)).ToList(), model.Tokenizer.PadId);

            Assert.Equal(expected, batched[i].Probabilities!, (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Equal(batched[i].Probabilities!, direct.Predict(q).Probabilities!, (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }

    [Fact]
    public void Rag_retrieves_only_from_the_knowledge_it_was_fitted_on_and_never_the_questions_own_trial()
    {
        var all = new CtOpenTask().Load(RepoFiles.Winter2025).Select(q => new LabelledQuestion(q.Question, q.Answer!.Value)).ToList();
        var question = all.First(q => q.Question.Item!.Arms.Count > 1).Question;
        var fitted = all.Where((_, i) => i % 2 == 0).ToList();
        // The question's own trial is in the knowledge on purpose: it must still never come back.
        fitted.AddRange(all.Where(q => q.Question.Group == question.Group));
        var rag = new LanguageModelMethod("rag", TinyModel(), 5);
        rag.Fit(fitted);

        var neighbours = rag.Neighbours(question);

        Assert.Equal(5, neighbours.Count);
        Assert.All(neighbours, n => Assert.Contains(n, fitted));
        Assert.All(neighbours, n => Assert.NotEqual(question.Group, n.Question.Group));
    }

    [Fact]
    public void A_prompt_too_long_for_the_context_drops_neighbours_first_and_is_unanswered_only_when_the_question_alone_does_not_fit()
    {
        var (train, predict) = Split(80, 8);
        var lengths = predict.Select(q =>
        {
            var p = QuestionPrompt.Build(q.Item!, q.QuestionIndex);
            return Tokenizer.Value.Encode(Tokenizer.Value.FormatChat([new("system", p.System), new("user", p.User)], addGenerationPrompt: true)).Count;
        }).ToList();
        // Room for every bare question, too little for even the neighbours' header on top: answered means they were dropped.
        var context = lengths.Max() + 8;
        var rag = new LanguageModelMethod("rag", TinyModel(context), 5);
        rag.Fit(train);
        Assert.All(rag.PredictAll(predict), a => Assert.NotNull(a.Probabilities));

        var tooSmall = new LanguageModelMethod("rag", TinyModel(context: 40), 5);
        tooSmall.Fit(train);
        var run = EvaluationRunner.Run(() => tooSmall, train, predict);
        Assert.Equal(predict.Count, run.Fallbacks);
        Assert.Contains("prompt too long for the model's context", Assert.Single(run.FallbackReasons).Key, StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_the_answers_from_the_predict_file_gives_the_same_direct_and_rag_predictions()
    {
        var items = (JsonNode.Parse(File.ReadAllText(RepoFiles.Winter2025))!["items"] as JsonArray)!;
        var train = Write("train.json", items.Take(60));
        var withAnswers = Write("predict.json", items.Skip(60).Take(10));
        var withoutAnswers = Write("predict-blind.json", items.Skip(60).Take(10), removeAnswers: true);
        var settings = Settings(TinyModel());

        string Run(string predict, string name)
        {
            var output = Path.Combine(_folder, name);
            var exit = EvaluationHarness.Run(new EvaluateRequest(new CtOpenTask(), [train], predict, ["direct", "rag"], output, null, [], "test") { LanguageModel = settings },
                TextWriter.Null, TextWriter.Null);
            Assert.Equal(0, exit);
            return output;
        }

        var seen = Run(withAnswers, "seen");
        var blind = Run(withoutAnswers, "blind");
        foreach (var method in new[] { "direct", "rag" })
            Assert.Equal(File.ReadAllLines(Path.Combine(seen, method + ".jsonl")), File.ReadAllLines(Path.Combine(blind, method + ".jsonl")));
    }

    [Fact]
    public void Without_a_model_direct_and_rag_are_refused_with_the_reason_and_exit_code_2_while_the_others_run()
    {
        var items = (JsonNode.Parse(File.ReadAllText(RepoFiles.Winter2025))!["items"] as JsonArray)!;
        var train = Write("train.json", items.Take(100));
        var predict = Write("predict.json", items.Skip(100).Take(20));
        var errors = new StringWriter();
        var output = Path.Combine(_folder, "out");
        var none = new LanguageModelSettings(LanguageModelSource.Unavailable("the model store /nowhere has no model: run `make train`"));

        var exit = EvaluationHarness.Run(new EvaluateRequest(new CtOpenTask(), [train], predict, ["prior", "direct", "rag"], output, null, [], "test") { LanguageModel = none },
            TextWriter.Null, errors);

        Assert.Equal(2, exit);
        Assert.Contains("method 'direct' is not available: the model store /nowhere has no model: run `make train`", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("method 'rag' is not available", errors.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "prior.jsonl")));
        Assert.False(File.Exists(Path.Combine(output, "direct.jsonl")));
    }

    [Fact]
    public void A_repeated_evaluation_with_reuse_prints_the_stored_scoreboard_and_reruns_when_an_input_changes()
    {
        var items = (JsonNode.Parse(File.ReadAllText(RepoFiles.Winter2025))!["items"] as JsonArray)!;
        var train = Write("train.json", items.Take(80));
        var output = Path.Combine(_folder, "cv");
        string Run(string trainFile)
        {
            var text = new StringWriter();
            Assert.Equal(0, EvaluationHarness.Run(new EvaluateRequest(new CtOpenTask(), [trainFile], null, ["prior"], output, 3, [], "test") { Reuse = true }, text, TextWriter.Null));
            return text.ToString();
        }

        var first = Run(train);
        var second = Run(train);
        var changed = Run(Write("train-changed.json", items.Take(79)));

        Assert.DoesNotContain("reusing", first, StringComparison.Ordinal);
        Assert.Contains("reusing the results", second, StringComparison.Ordinal);
        Assert.Contains(first[first.IndexOf("prior_bacc=", StringComparison.Ordinal)..].Trim(), second, StringComparison.Ordinal);
        Assert.DoesNotContain("reusing", changed, StringComparison.Ordinal);
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
