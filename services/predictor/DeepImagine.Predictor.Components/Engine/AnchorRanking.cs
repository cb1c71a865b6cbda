using System.Text.RegularExpressions;
using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Engine;

/// <summary>An anchor chosen for a target, with its similarity (0..1, the weight of its chain).</summary>
public sealed record RankedAnchor(KnowledgeItem Knowledge, double Similarity);

/// <summary>Where anchors come from: candidates for a target (never the target itself, never results after its cutoff) and the class prior.</summary>
public interface IAnchorSource
{
    Task<IReadOnlyList<KnowledgeItem>> CandidatesAsync(PredictionTarget target, int limit, CancellationToken cancellationToken);

    /// <summary>Answer shares of the known questions of a class (Laplace-smoothed): the answer when no anchor can be used.</summary>
    Task<double[]> ClassPriorAsync(string questionClass, int optionCount, CancellationToken cancellationToken);
}

/// <summary>
/// Similarity of an anchor to a target: the registry words both share (interventions, conditions, title, endpoint;
/// Jaccard) plus the factors they match on (same non-placebo intervention, same condition, same endpoint words). The
/// same score ranks in-memory knowledge and the database's full-text candidates, so both pick anchors alike.
/// </summary>
public static partial class AnchorRanking
{
    public static IReadOnlyList<RankedAnchor> Rank(PredictionTarget target, IEnumerable<KnowledgeItem> candidates, int k) =>
        candidates.Where(c => Allowed(target, c))
            .Select(c => new RankedAnchor(c, Similarity(target, c)))
            .OrderByDescending(a => a.Similarity)
            .ThenBy(a => a.Knowledge.AnchorId, StringComparer.Ordinal)
            .Take(k)
            .ToList();

    /// <summary>Never the target's own trial, never one without known answers, never results published after the cutoff.</summary>
    public static bool Allowed(PredictionTarget target, KnowledgeItem candidate) =>
        candidate.HasAnswers
        && !string.Equals(candidate.Item.NctId, target.NctId, StringComparison.OrdinalIgnoreCase)
        && !(target.Cutoff is { } cutoff && candidate.ResultsDate is { } published && published > cutoff);

    public static double Similarity(PredictionTarget target, KnowledgeItem anchor)
    {
        var targetWords = Words(target.Item, target.Trial);
        var anchorWords = Words(anchor.Item, anchor.Trial);
        var union = targetWords.Count + anchorWords.Count - targetWords.Intersect(anchorWords).Count();
        var jaccard = union == 0 ? 0 : (double)targetWords.Intersect(anchorWords).Count() / union;
        var sharedIntervention = InterventionKeys(target.Item).Overlaps(InterventionKeys(anchor.Item)) ? 1.0 : 0.0;
        var sharedCondition = ConditionKeys(target.Trial).Overlaps(ConditionKeys(anchor.Trial)) ? 1.0 : 0.0;
        var sameEndpoint = Normalize.NameKey(target.Item.Endpoint.Measure ?? "") is { Length: > 0 } m && m == Normalize.NameKey(anchor.Item.Endpoint.Measure ?? "") ? 1.0 : 0.0;
        return (0.4 * jaccard) + (0.3 * sharedIntervention) + (0.15 * sharedCondition) + (0.15 * sameEndpoint);
    }

    /// <summary>The registry words of an endpoint: interventions, conditions, title, endpoint measure (as full-text search sees them).</summary>
    public static string RegistryText(CtOpenItem item, Trial? trial) => string.Join(' ', new[]
    {
        string.Join(' ', item.Arms.SelectMany(a => a.Interventions ?? []).Select(i => i.Name)),
        string.Join(' ', trial?.Conditions ?? []),
        item.BriefTitle,
        item.Endpoint.Measure,
    }.Where(t => !string.IsNullOrWhiteSpace(t)));

    public static HashSet<string> Words(CtOpenItem item, Trial? trial) =>
        WordPattern().Matches(Normalize.NameKey(RegistryText(item, trial))).Select(m => m.Value)
            .Where(w => !StopWords.Contains(w)).ToHashSet(StringComparer.Ordinal);

    public static HashSet<string> InterventionKeys(CtOpenItem item) =>
        item.Arms.SelectMany(a => a.Interventions ?? []).Where(i => !string.IsNullOrWhiteSpace(i.Name) && !Normalize.IsPlacebo(i.Name, i.Type))
            .Select(i => Normalize.NameKey(i.Name!)).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> ConditionKeys(Trial? trial) =>
        trial is null ? [] : TrialFeatures.ConditionKeys(trial).ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "with", "from", "that", "this", "study", "trial", "patients", "participants", "versus", "week", "weeks",
        "phase", "randomized", "controlled", "double", "blind", "placebo", "number", "change", "baseline", "after", "before", "day", "days",
    };

    [GeneratedRegex(@"[a-z0-9]{3,}")]
    private static partial Regex WordPattern();
}

/// <summary>Knowledge held in memory (the evaluation's folds, tests): every item is a candidate.</summary>
public sealed class InMemoryAnchorSource(IReadOnlyList<KnowledgeItem> knowledge) : IAnchorSource
{
    public IReadOnlyList<KnowledgeItem> Knowledge { get; } = knowledge;

    public Task<IReadOnlyList<KnowledgeItem>> CandidatesAsync(PredictionTarget target, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KnowledgeItem>>(AnchorRanking.Rank(target, Knowledge, limit).Select(a => a.Knowledge).ToList());

    public Task<double[]> ClassPriorAsync(string questionClass, int optionCount, CancellationToken cancellationToken) =>
        Task.FromResult(ClassPrior.Of(Knowledge, questionClass, optionCount));
}

public static class ClassPrior
{
    /// <summary>Shares of each answer among the known questions of the class, with one pseudo-count per option.</summary>
    public static double[] Of(IEnumerable<KnowledgeItem> knowledge, string questionClass, int optionCount)
    {
        var counts = Enumerable.Repeat(1.0, optionCount).ToArray();
        foreach (var item in knowledge)
        {
            foreach (var q in item.Item.Questions)
            {
                if (q.AnswerIndex is not { } answer || q.Options.Count != optionCount || answer >= optionCount) continue;
                if (QuestionClasses.Of(item.Item.MetaLabel, q.Options.Count, item.AnchorId) == questionClass) counts[answer]++;
            }
        }
        return OutcomeState.Normalised(counts);
    }
}
