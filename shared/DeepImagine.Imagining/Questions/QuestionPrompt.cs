using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepImagine.Imagining.Questions;

/// <summary>
/// The chat prompt of one CT Open-style question about a <see cref="CtOpenItem"/> and the reading of the policy's answer.
/// The only place the question's wording lives (RL prompts, the <c>direct</c> and <c>rag</c> evaluation methods);
/// change it only together with <see cref="TemplateVersion"/>. The answer is a short reasoning, then one final line
/// <c>ANSWER: &lt;option number&gt;</c> with options numbered from 1.
/// </summary>
public static partial class QuestionPrompt
{
    /// <summary>Version of the question wording; stored with every prompt so prompts and models cannot drift apart.</summary>
    public const int TemplateVersion = 1;

    /// <summary>What the final line starts with; a scorer appends an option's number to it (<see cref="AnswerLine"/>).</summary>
    public const string AnswerPrefix = "ANSWER: ";

    public const string QuestionText = "Which option states the trial's result on this endpoint?";

    public const string SystemText =
        "You predict the result of a clinical trial on one endpoint from its registration. " +
        "Reason briefly and only from the facts given, then end with exactly one line:\n" +
        "ANSWER: <option number>\n" +
        "where the option number is that of the one option you judge most likely true.";

    /// <summary>Registry descriptions can run to pages; beyond this many characters they are cut so the prompt stays short.</summary>
    public const int MaxDescriptionChars = 400;

    /// <summary>The prompt of question <paramref name="questionIndex"/> of <paramref name="item"/>. Bad input throws, naming the field and the record.</summary>
    public static QuestionChatPrompt Build(CtOpenItem item, int questionIndex)
    {
        ArgumentNullException.ThrowIfNull(item);
        var record = $"{item.NctId} {item.EndpointKey}";
        if (questionIndex < 0 || questionIndex >= item.Questions.Count)
            throw new ArgumentOutOfRangeException(nameof(questionIndex), $"{record}: questions has {item.Questions.Count} entries; question {questionIndex} does not exist");
        var options = item.Questions[questionIndex].Options;
        if (options is null || options.Count < 2)
            throw new ArgumentException($"{record}: questions[{questionIndex}].options has {options?.Count ?? 0} entries; a question needs at least 2", nameof(item));
        for (var i = 0; i < options.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options[i]))
                throw new ArgumentException($"{record}: questions[{questionIndex}].options[{i}] is empty", nameof(item));
        }
        if (item.Endpoint is null || string.IsNullOrWhiteSpace(item.Endpoint.Measure))
            throw new ArgumentException($"{record}: endpoint.measure is empty", nameof(item));

        var text = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(item.BriefTitle)) text.Append("Trial: ").Append(OneLine(item.BriefTitle)).Append('\n');
        var kind = item.Endpoint.OutcomeType switch
        {
            "primaryOutcomes" => "primary",
            "secondaryOutcomes" => "secondary",
            _ => null,
        };
        text.Append(kind is null ? "Endpoint" : $"Endpoint ({kind})").Append(": ").Append(OneLine(item.Endpoint.Measure)).Append('\n');
        Line(text, "Description", Cut(item.Endpoint.Description));
        Line(text, "Time frame", item.Endpoint.TimeFrame);

        if (item.Arms.Count > 0)
        {
            text.Append("Arms\n");
            foreach (var arm in item.Arms) ArmLines(text, arm);
        }
        if (item.ListedArms is { Count: > 0 } listed)
            Line(text, "Arms the options speak of", string.Join("; ", listed.Select(a => a.Label).Where(l => !string.IsNullOrWhiteSpace(l))));

        text.Append("Question: ").Append(QuestionText).Append('\n');
        text.Append("Options\n");
        for (var i = 0; i < options.Count; i++)
            text.Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(". ").Append(OneLine(options[i])).Append('\n');
        text.Append("Answer with the option number.");
        return new QuestionChatPrompt(SystemText, text.ToString(), [.. options], TemplateVersion);
    }

    /// <summary>The final line naming option <paramref name="optionIndex"/> (0-based): <c>ANSWER: 1</c> for the first.</summary>
    public static string AnswerLine(int optionIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(optionIndex);
        return AnswerPrefix + OptionNumber(optionIndex);
    }

    /// <summary>The number option <paramref name="optionIndex"/> (0-based) is written with after <see cref="AnswerPrefix"/>.</summary>
    public static string OptionNumber(int optionIndex) => (optionIndex + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>A whole completion: the reasoning, then the ANSWER line on a line of its own.</summary>
    public static string Format(int optionIndex, string reasoning)
    {
        ArgumentNullException.ThrowIfNull(reasoning);
        var body = reasoning.Trim();
        if (AnswerLinePattern().IsMatch(body))
            throw new ArgumentException("reasoning already contains an ANSWER line; pass the reasoning only", nameof(reasoning));
        var line = AnswerLine(optionIndex);
        return body.Length == 0 ? line : body + "\n" + line;
    }

    /// <summary>
    /// Reads the last ANSWER line of a completion for a question with <paramref name="optionCount"/> options. Tolerant of
    /// case, markdown emphasis, a colon or equals sign, the word "option", parentheses and trailing text
    /// (<c>**Answer:** (2) No difference</c> reads as option 2). Never throws: no ANSWER line, no number, or a number
    /// outside 1..optionCount gives an unparseable answer with the reason.
    /// </summary>
    public static QuestionAnswer Parse(string? completion, int optionCount)
    {
        if (string.IsNullOrWhiteSpace(completion)) return QuestionAnswer.Unparseable("empty completion");
        var matches = AnswerLinePattern().Matches(completion);
        if (matches.Count == 0) return QuestionAnswer.Unparseable("no line starting with 'ANSWER:'");
        var value = matches[^1].Groups["value"].Value.Trim();
        var number = NumberPattern().Match(value);
        if (!number.Success) return QuestionAnswer.Unparseable($"ANSWER '{Short(value)}' does not start with an option number");
        if (!int.TryParse(number.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > optionCount)
            return QuestionAnswer.Unparseable($"ANSWER {Short(number.Groups["n"].Value)} is not an option number from 1 to {optionCount}");
        return QuestionAnswer.Of(n - 1);
    }

    /// <summary>The reasoning before the last ANSWER line (the whole text when there is none).</summary>
    public static string Reasoning(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var matches = AnswerLinePattern().Matches(completion);
        return (matches.Count == 0 ? completion : completion[..matches[^1].Index]).Trim();
    }

    private static void ArmLines(StringBuilder text, CtOpenArm arm)
    {
        var type = string.IsNullOrWhiteSpace(arm.Type) ? "" : $" ({arm.Type.Replace('_', ' ').ToLowerInvariant()})";
        text.Append("- ").Append(OneLine(arm.Label ?? "(unnamed arm)")).Append(type).Append('\n');
        var interventions = (arm.Interventions ?? []).Select(Intervention).Where(s => s.Length > 0).ToList();
        if (interventions.Count == 0 && arm.InterventionNames is { Count: > 0 } names) interventions = [.. names.Select(OneLine)];
        Line(text, "Interventions", interventions.Count == 0 ? null : string.Join("; ", interventions), indent: "  ");
        Line(text, "Description", Cut(arm.Description), indent: "  ");
    }

    private static string Intervention(CtOpenIntervention i)
    {
        if (string.IsNullOrWhiteSpace(i.Name)) return "";
        var text = new StringBuilder(OneLine(i.Name));
        if (i.OtherNames is { Count: > 0 } other) text.Append(" (also ").Append(string.Join(", ", other.Select(OneLine))).Append(')');
        if (!string.IsNullOrWhiteSpace(i.Description) && !string.Equals(i.Description.Trim(), i.Name.Trim(), StringComparison.OrdinalIgnoreCase))
            text.Append(": ").Append(Cut(i.Description));
        return text.ToString();
    }

    private static string? Cut(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var line = OneLine(text);
        return line.Length <= MaxDescriptionChars ? line : line[..MaxDescriptionChars].TrimEnd() + "…";
    }

    // Registry text may hold line breaks; one fact per line keeps the layout readable and an option from spanning lines.
    private static string OneLine(string text) => WhitespacePattern().Replace(text, " ").Trim();

    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static void Line(StringBuilder text, string name, string? value, string indent = "")
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        text.Append(indent).Append("- ").Append(name).Append(": ").Append(OneLine(value)).Append('\n');
    }

    [GeneratedRegex(@"^[ \t*>#-]*ANSWER\s*\**\s*[:=]\**(?<value>[^\r\n]*)\r?$", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnswerLinePattern();

    [GeneratedRegex(@"^[\s*_]*(?:option\s*)?[\(\[]?\s*(?<n>[0-9]+)(?![0-9.,]*[0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex WhitespacePattern();
}

/// <summary>
/// The chat prompt of one question: system and user text, the option texts in order (option i is answered
/// <c>ANSWER: i+1</c>), and the template version that built them.
/// </summary>
public sealed record QuestionChatPrompt(string System, string User, IReadOnlyList<string> Options, int TemplateVersion)
{
    /// <summary>
    /// The answer line of each option, in option order (<c>ANSWER: 1</c>, <c>ANSWER: 2</c>, …): a scorer compares the
    /// log-probabilities of <see cref="QuestionPrompt.OptionNumber"/> after <see cref="QuestionPrompt.AnswerPrefix"/>.
    /// </summary>
    public IReadOnlyList<string> AnswerLines => [.. Options.Select((_, i) => QuestionPrompt.AnswerLine(i))];
}

/// <summary>
/// The policy's chosen option (0-based). A malformed answer is a value too: <see cref="IsParseable"/> false,
/// <see cref="OptionIndex"/> null and <see cref="Error"/> saying what was wrong.
/// </summary>
public sealed record QuestionAnswer(bool IsParseable, int? OptionIndex, string? Error = null)
{
    public static QuestionAnswer Of(int optionIndex) => new(true, optionIndex);

    public static QuestionAnswer Unparseable(string error) => new(false, null, error);
}
