using System.Text.RegularExpressions;
using DeepImagine.Imagining.Questions;

namespace DeepImagine.Predictor.Engine;

/// <summary>
/// Which arms a question compares: X the arm whose advantage the first option claims, Y the other (none for a single-arm
/// endpoint). Explicit questions name them in their options (the CT Open wording, also <see cref="OutcomeQuestionBuilder"/>'s);
/// implicit ones ("this endpoint is met") compare the first experimental arm with the first comparator arm.
/// </summary>
public sealed record QuestionArms(string QuestionClass, CtOpenArm X, CtOpenArm? Y)
{
    public static QuestionArms Read(CtOpenItem item, int questionIndex)
    {
        if (questionIndex < 0 || questionIndex >= item.Questions.Count)
            throw new ArgumentException($"item {item.NctId}: question_index {questionIndex} is outside its {item.Questions.Count} questions");
        var question = item.Questions[questionIndex];
        var cls = QuestionClasses.Of(item.MetaLabel, question.Options.Count, $"item {item.NctId}, question {questionIndex}");
        if (cls == QuestionClasses.ThreeWay && ComparativePattern.Match(question.Options[0]) is { Success: true } three)
            return new QuestionArms(cls, Arm(item, three.Groups["x"].Value), Arm(item, three.Groups["y"].Value));
        if (cls == QuestionClasses.TwoWayExplicit && SuperiorityPattern.Match(question.Options[0]) is { Success: true } two)
            return new QuestionArms(cls, Arm(item, two.Groups["x"].Value), Arm(item, two.Groups["y"].Value));
        var arms = item.ListedArms is { Count: > 0 } listed ? listed : item.Arms;
        var experimental = arms.FirstOrDefault(a => !IsComparator(a)) ?? arms.FirstOrDefault()
            ?? new CtOpenArm { Label = item.BriefTitle ?? item.NctId };
        var comparator = item.Arms.FirstOrDefault(a => IsComparator(a) && !ReferenceEquals(a, experimental));
        return new QuestionArms(cls, experimental, comparator);
    }

    public static bool IsComparator(CtOpenArm arm) =>
        arm.Type is "PLACEBO_COMPARATOR" or "SHAM_COMPARATOR" or "ACTIVE_COMPARATOR" or "NO_INTERVENTION"
        || (arm.Interventions is { Count: > 0 } ivs && ivs.All(i => (i.Name ?? "").Contains("placebo", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The arm named in an option; an arm the item does not list stays a label only.</summary>
    private static CtOpenArm Arm(CtOpenItem item, string label) =>
        item.Arms.FirstOrDefault(a => string.Equals(a.Label?.Trim(), label.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? new CtOpenArm { Label = label.Trim() };

    private static readonly Regex SuperiorityPattern = new(
        @"^The study arm (?<x>.+) has achieved statistically significant improvements over the study arm (?<y>.+) with respect to this specific endpoint\.?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);

    private static readonly Regex ComparativePattern = new(
        @"^Study Arm (?<y>.+) is statistically significantly worse than Study Arm (?<x>.+?)\.?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
}
