using System.Globalization;
using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Engine;

/// <summary>What a stored trial contributes: its endpoints with answers built from reported analyses (the one builder).</summary>
public static class TrialKnowledge
{
    /// <summary>
    /// Known-answer endpoints of a trial. Their results date is the trial's completion date: the normalized record keeps
    /// no results-posting date, and results never precede completion, so a cutoff before it surely excludes them.
    /// </summary>
    public static IReadOnlyList<KnowledgeItem> Of(Trial trial) =>
        OutcomeQuestionBuilder.Build(trial).Select(item => new KnowledgeItem(item, trial, Date(trial.CompletionDate))).ToList();

    /// <summary>An ISO date, possibly partial (yyyy-MM: the month's last day, so a partial date is never early).</summary>
    public static DateOnly? Date(string? iso)
    {
        if (string.IsNullOrWhiteSpace(iso)) return null;
        if (DateOnly.TryParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return day;
        if (DateOnly.TryParseExact(iso + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month)) return month.AddMonths(1).AddDays(-1);
        return null;
    }
}
