using System.Text;
using DeepImagine.Imagining.Questions;
using DeepImagine.Imagining.Retrieval;
using DeepImagine.Model;

namespace DeepImagine.Evaluation.Methods;

/// <summary>A language model ready to score options: weights, tokenizer, and which stored model it is (e.g. <c>deepimagine-base:v2</c>).</summary>
public sealed class ScoringModel(Qwen3ForCausalLM model, ChatTokenizer tokenizer, string description) : IDisposable
{
    public Qwen3ForCausalLM Model { get; } = model;
    public ChatTokenizer Tokenizer { get; } = tokenizer;
    public string Description { get; } = description;

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Where <c>direct</c> and <c>rag</c> get their model: loaded on first use and shared by every fold and method, or the
/// reason there is none (then both are refused with it). <see cref="Description"/> names the model version, for the
/// report and for keying cached results.
/// </summary>
public sealed class LanguageModelSource : IDisposable
{
    private readonly Func<ScoringModel>? _load;
    private ScoringModel? _loaded;

    private LanguageModelSource(string description, Func<ScoringModel>? load, string? unavailableReason)
    {
        Description = description;
        _load = load;
        UnavailableReason = unavailableReason;
    }

    public string Description { get; }

    public string? UnavailableReason { get; }

    public static LanguageModelSource From(string description, Func<ScoringModel> load) => new(description, load, null);

    public static LanguageModelSource Unavailable(string reason) => new("none", null, reason);

    public ScoringModel Get() => _loaded ??= (_load ?? throw new InvalidOperationException(UnavailableReason))();

    public void Dispose() => _loaded?.Dispose();
}

/// <summary>The model the language-model methods use and how many known items <c>rag</c> puts in its prompt.</summary>
public sealed record LanguageModelSettings(LanguageModelSource Source, int Neighbours = LanguageModelMethod.DefaultNeighbours);

/// <summary>
/// <c>direct</c> and <c>rag</c>: the question as <see cref="QuestionPrompt"/> writes it, and each option scored by the
/// log-probability of its answer line (<c>ANSWER: 1</c>, …) right after the prompt; the softmax over options gives the
/// probabilities. <c>rag</c> first puts the k known items nearest to the question (BM25 over title, arms and
/// interventions, endpoint — only the knowledge it was fitted on, never the question's own trial) with their known
/// results before the question. A prompt too long for the model's context loses neighbours (farthest first), then the
/// registry descriptions; one that still does not fit is left unanswered with the reason (the harness gives the prior).
/// </summary>
public sealed class LanguageModelMethod : IBatchOutcomeMethod
{
    public const int DefaultNeighbours = 5;
    private const string KnownHeader = "Known results of similar trials (for reference):";

    private readonly ScoringModel _model;
    private readonly int _neighbours;
    private Bm25Index<LabelledQuestion>? _index;

    public LanguageModelMethod(string name, ScoringModel model, int neighbours)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(neighbours);
        Name = name;
        _model = model;
        _neighbours = neighbours;
    }

    public string Name { get; }

    /// <summary>The model's context: prompt and answer line together must fit in it.</summary>
    public int ContextTokens => _model.Model.Config.MaxPositionEmbeddings;

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge) =>
        _index = _neighbours > 0 ? new Bm25Index<LabelledQuestion>(knowledge.Where(k => k.Question.Item is not null), k => k.Question.Context) : null;

    public MethodAnswer Predict(EvalQuestion question) => PredictAll([question])[0];

    public IReadOnlyList<MethodAnswer> PredictAll(IReadOnlyList<EvalQuestion> questions)
    {
        var prepared = questions.Select(Prepare).ToList();
        var answerable = prepared.Where(p => p.Tokens is not null).Select(p => p.Tokens!).ToList();
        var scores = OptionScoring.LogLikelihoods(_model.Model, answerable, _model.Tokenizer.PadId);
        var next = 0;
        return prepared.Select(p => p.Tokens is null ? MethodAnswer.Unanswered(p.Reason!) : new MethodAnswer(OptionScoring.Softmax(scores[next++]))).ToList();
    }

    /// <summary>The neighbours <c>rag</c> would show for a question, nearest first (for tests and the report).</summary>
    public IReadOnlyList<LabelledQuestion> Neighbours(EvalQuestion question) =>
        _index?.Nearest(question.Context, _neighbours, exclude: k => k.Question.Group == question.Group).Select(n => n.Item).ToList() ?? [];

    private (OptionQuestion? Tokens, string? Reason) Prepare(EvalQuestion question)
    {
        if (question.Item is not { } item) return (null, "the language-model methods answer CT Open questions only (no trial and endpoint given)");
        var neighbours = Neighbours(question);
        var options = QuestionPrompt.Build(item, question.QuestionIndex).AnswerLines.Select(l => _model.Tokenizer.Encode(l)).ToList();
        var room = ContextTokens - options.Max(o => o.Count);
        // Cut what matters least first: neighbours (farthest first), then the registry's free-text descriptions.
        foreach (var candidate in new[] { item, WithoutDescriptions(item) })
        {
            var prompt = QuestionPrompt.Build(candidate, question.QuestionIndex);
            for (var n = neighbours.Count; n >= 0; n--)
            {
                var ids = _model.Tokenizer.Encode(_model.Tokenizer.FormatChat(
                    [new ChatMessage("system", prompt.System), new ChatMessage("user", Known(neighbours.Take(n)) + prompt.User)], addGenerationPrompt: true));
                if (ids.Count <= room) return (new OptionQuestion(ids, options), null);
            }
        }
        // One wording per context size, so the report counts these together.
        return (null, $"prompt too long for the model's context of {ContextTokens} tokens, even without neighbours and descriptions");
    }

    /// <summary>The neighbours as one line each (title, endpoint, the option that was true), before the question.</summary>
    private static string Known(IEnumerable<LabelledQuestion> neighbours)
    {
        var list = neighbours.ToList();
        if (list.Count == 0) return "";
        var text = new StringBuilder(KnownHeader).Append('\n');
        foreach (var k in list)
        {
            var item = k.Question.Item!;
            text.Append("- Trial: ").Append(OneLine(item.BriefTitle ?? item.NctId)).Append("; endpoint: ").Append(OneLine(item.Endpoint.Measure ?? ""))
                .Append(". Result: ").Append(OneLine(k.Question.Options[k.Answer])).Append('\n');
        }
        return text.Append('\n').ToString();
    }

    private static CtOpenItem WithoutDescriptions(CtOpenItem item) => item with
    {
        Endpoint = item.Endpoint with { Description = null },
        Arms = item.Arms.Select(a => a with { Description = null, Interventions = a.Interventions?.Select(i => i with { Description = null }).ToList() }).ToList(),
    };

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
