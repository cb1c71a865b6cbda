namespace DeepImagine.Evaluation;

/// <summary>
/// One question as a method sees it: never its answer. <see cref="Group"/> is the unit that folds and the bootstrap
/// keep together (NCT id, article); <see cref="Id"/> are the fields that name it in a prediction file;
/// <see cref="Features"/> are namespaced tokens ("m:fatigue", "xtype:EXPERIMENTAL") describing question and trial, for
/// the classical methods; <see cref="Context"/> and <see cref="Options"/> are the same question as text, for a
/// language model (empty where a caller builds a question without them).
/// </summary>
public sealed record EvalQuestion(string Group, IReadOnlyList<string> Id, string QuestionClass, int OptionCount, IReadOnlyList<string> Features)
{
    /// <summary>The trial (or article) and endpoint the question is about, in plain lines.</summary>
    public string Context { get; init; } = "";

    /// <summary>The answer options in order.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>The CT Open item the question belongs to, every answer removed (null for other tasks).</summary>
    public Imagining.Questions.CtOpenItem? Item { get; init; }

    /// <summary>CT Open: which of <see cref="Item"/>'s questions this is (for <see cref="Imagining.Questions.QuestionPrompt"/>).</summary>
    public int QuestionIndex { get; init; }

    public string Key => string.Join('\u001f', Id);
}

/// <summary>
/// A question with its known answer (an option index): training data and knowledge. <see cref="Built"/> marks a
/// question built from stored result trials rather than taken from the benchmark's own train file.
/// </summary>
public sealed record LabelledQuestion(EvalQuestion Question, int Answer, bool Built = false);

/// <summary>A question to predict, with its answer only where known, kept apart for scoring.</summary>
public sealed record TargetQuestion(EvalQuestion Question, int? Answer);

/// <summary>A method's probabilities for one question, or null where it could not answer (then the class prior is used).</summary>
public sealed record MethodAnswer(double[]? Probabilities, string? Reason = null)
{
    public static MethodAnswer Unanswered(string reason) => new(null, reason);
}
