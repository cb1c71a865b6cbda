using System.Text.RegularExpressions;

namespace DeepImagine.Trials;

/// <summary>
/// Links results groups ("Avanafil 50 mg") to the registered arms they report on, from the record's own structure:
/// a group is an arm only when its title names exactly one arm and no other group of the measure names the same arm
/// (unless each such group states its own dose of the arm's intervention: dose groups registered as one arm).
/// Totals, subgroups, phases, periods, cohorts, grades, extension periods and treatment sequences are not arms.
/// </summary>
internal static partial class ArmMatching
{
    public sealed record GroupText(string Id, string Title, string? Description);

    public sealed record GroupMapping(string? ArmLabel, string? NotAnArm, Dose? Dose);

    /// <summary>A measure's results groups, each mapped to its arm (or marked not an arm), with its analysed N.</summary>
    public static List<ResultGroup> ResultGroups(IReadOnlyList<Arm> arms, IReadOnlyList<GroupText> groups, IReadOnlyDictionary<string, int> analyzed) =>
        groups.Zip(MapGroups(arms, groups), (g, m) => new ResultGroup
        {
            Id = g.Id,
            Title = g.Title,
            Description = g.Description,
            ArmLabel = m.ArmLabel,
            NotAnArm = m.NotAnArm,
            Dose = m.Dose,
            ParticipantsAnalyzed = analyzed.TryGetValue(g.Id, out var n) ? n : null,
        }).ToList();

    public static IReadOnlyList<GroupMapping> MapGroups(IReadOnlyList<Arm> arms, IReadOnlyList<GroupText> groups)
    {
        // A qualifier every group carries ("… (Period III)") names the period all arms were measured in: match without it.
        var qualifier = groups.Count > 1 ? TrailingQualifier().Match(groups[0].Title) : Match.Empty;
        if (qualifier.Success && groups.All(g => g.Title.EndsWith(qualifier.Value, StringComparison.Ordinal)))
            groups = groups.Select(g => g with { Title = g.Title[..^qualifier.Value.Length].Trim() }).ToList();
        var mapped = groups.Select(g => MapOne(arms, groups.Count, g)).ToList();
        foreach (var shared in mapped.Select((m, i) => (m, i)).Where(x => x.m.ArmLabel is not null).GroupBy(x => x.m.ArmLabel!).Where(g => g.Count() > 1))
        {
            // Several groups on one registered arm are dose groups only when each title states a different dose.
            var arm = arms.First(a => a.Label == shared.Key);
            var doses = shared.Select(x => TitleDose(arm, groups[x.i].Title)).ToList();
            var distinct = doses.All(d => d is not null) && doses.Select(d => (d!.Amount, d.Unit, d.Frequency)).Distinct().Count() == doses.Count;
            foreach (var (m, i) in shared)
            {
                mapped[i] = distinct
                    ? m with { Dose = TitleDose(arm, groups[i].Title) }
                    : new GroupMapping(null, $"one of {shared.Count()} groups reporting on arm '{shared.Key}'", null);
            }
        }
        return mapped;
    }

    private static GroupMapping MapOne(IReadOnlyList<Arm> arms, int groupCount, GroupText group)
    {
        if (arms.Count == 0) return new GroupMapping(null, "the record registers no arms", null);
        var key = Compact(group.Title);
        if (group.Description is { } sequence && SequencePattern().IsMatch(sequence))
            return new GroupMapping(null, "the group is a sequence of treatments, not an arm", null);
        var exact = arms.FirstOrDefault(a => Compact(a.Label) == key);
        if (exact is not null) return new GroupMapping(exact.Label, null, TitleDose(exact, group.Title));
        if (NonArmPattern().Match(group.Title) is { Success: true } nonArm)
            return new GroupMapping(null, $"the title names a {nonArm.Value.Trim().ToLowerInvariant()}, not an arm", null);
        // A title sharing most of its words with one arm's label, clearly more than with any other ("2.5 mg Titrated
        // to 5 mg Tadalafil" for "2.5 milligram (mg) titrated to 5 mg Tadalafil", not "5 mg Tadalafil").
        var overlaps = arms.Select(a => (Arm: a, Score: Overlap(group.Title, a.Label))).OrderByDescending(x => x.Score).ToList();
        if (overlaps[0].Score >= 0.6 && (overlaps.Count == 1 || overlaps[1].Score <= overlaps[0].Score - 0.2))
            return new GroupMapping(overlaps[0].Arm.Label, null, TitleDose(overlaps[0].Arm, group.Title));
        // A group title that contains exactly one arm's label, word for word (or the reverse), names that arm.
        var words = Words(group.Title);
        var contained = arms.Where(a =>
        {
            var label = Words(a.Label);
            return label.Length > 2 && words.Length > 2 && (words.Contains(label, StringComparison.Ordinal) || label.Contains(words, StringComparison.Ordinal));
        }).ToList();
        if (contained.Count == 1) return new GroupMapping(contained[0].Label, null, TitleDose(contained[0], group.Title));
        // A placebo group pooling several placebo-only arms ("Placebo" for "Placebo 0.5 mg" and "Placebo 1.0 mg") is placebo.
        var placeboArms = arms.Where(IsPlaceboOnly).ToList();
        if (key.Contains("placebo", StringComparison.Ordinal) && placeboArms.Count > 1 && contained.Count > 1 && contained.All(IsPlaceboOnly))
            return new GroupMapping(contained[0].Label, null, null);
        // A title naming the interventions of exactly one arm ("Ziprasidone Arm" for arm "Geodon arm" given
        // "ziprasidone (Geodon)"; "Placebo Plus Counseling" for the one placebo arm) names that arm.
        if (contained.Count == 0)
        {
            // "Placebo" for the one arm whose type says it is the placebo comparator ("Control Group").
            var placeboTyped = arms.Where(a => a.Type == ArmTypes.PlaceboComparator).ToList();
            if (key == "placebo" && placeboTyped.Count == 1) return new GroupMapping(placeboTyped[0].Label, null, null);
            var byIntervention = arms.Where(a => NamesArmByIntervention(a, arms, key)).ToList();
            if (byIntervention.Count == 1) return new GroupMapping(byIntervention[0].Label, null, TitleDose(byIntervention[0], group.Title));
            // Several arms of one intervention: the one whose own dose the title states ("80 mg Fasudil" for arm "Fasudil 80 mg").
            var byDose = byIntervention.Where(a => TitleDose(a, group.Title) is { Amount: { } amount } d
                && a.Interventions.Any(i => i.Dose?.Amount == amount && i.Dose.Unit == d.Unit)).ToList();
            if (byDose.Count == 1) return new GroupMapping(byDose[0].Label, null, TitleDose(byDose[0], group.Title));
            // A generic title that names no arm ("Active Comparator:", "Arm 1"): the description naming one arm's interventions.
            if (byIntervention.Count == 0 && group.Description is { } text && GenericTitlePattern().IsMatch(group.Title.Trim()))
            {
                var described = arms.Where(a => a.Interventions.Any(i => !i.IsPlacebo) && NamesArmByIntervention(a, arms, Compact(text))).ToList();
                if (described.Count == 1) return new GroupMapping(described[0].Label, null, TitleDose(described[0], group.Title));
            }
        }
        // A single-arm study reporting a single group: the group is the arm whatever its title.
        if (arms.Count == 1 && groupCount == 1) return new GroupMapping(arms[0].Label, null, TitleDose(arms[0], group.Title));
        return new GroupMapping(null, contained.Count > 1 ? "the title names several arms" : "no arm matches the title", null);
    }

    /// <summary>
    /// The title names one of the arm's interventions (a name, the part before or inside parentheses, an other name) and
    /// none that only other arms get; a placebo-only arm is named by "placebo".
    /// </summary>
    private static bool NamesArmByIntervention(Arm arm, IReadOnlyList<Arm> arms, string titleKey)
    {
        static IEnumerable<string> Names(ArmIntervention i)
        {
            yield return i.Name;
            var open = i.Name.IndexOf('(');
            if (open > 0 && i.Name.EndsWith(')'))
            {
                yield return i.Name[..open];
                yield return i.Name[(open + 1)..^1];
            }
            // The substance's first word ("Metformin" of "Metformin HCL").
            var first = i.Name.Split(' ', '-', ',')[0];
            if (first.Length >= 5 && first.Length < i.Name.Length) yield return first;
        }
        bool Named(ArmIntervention i) => Names(i).Select(Compact).Any(n => n.Length >= 4 && titleKey.Contains(n, StringComparison.Ordinal));
        var own = arm.Interventions.Where(i => !i.IsPlacebo).ToList();
        if (own.Count == 0)
            return arm.Interventions.Any(i => i.IsPlacebo) && titleKey.Contains("placebo", StringComparison.Ordinal)
                   && arms.Count(a => a.Interventions.Count > 0 && a.Interventions.All(i => i.IsPlacebo)) == 1;
        var others = arms.Where(a => a != arm).SelectMany(a => a.Interventions).Where(i => !i.IsPlacebo && !own.Any(o => o.Name == i.Name));
        return own.Any(Named) && !others.Any(Named) && !titleKey.Contains("placebo", StringComparison.Ordinal);
    }

    /// <summary>Shared words over all words (Jaccard) of two labels.</summary>
    private static double Overlap(string x, string y)
    {
        var a = Words(x).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var b = Words(y).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return a.Count == 0 || b.Count == 0 ? 0 : (double)a.Intersect(b).Count() / a.Union(b).Count();
    }

    private static bool IsPlaceboOnly(Arm arm) => arm.Interventions.Count > 0 && arm.Interventions.All(i => i.IsPlacebo);

    private static Dose? TitleDose(Arm arm, string title) =>
        arm.Interventions.Where(i => !i.IsPlacebo).Select(i => DoseParser.FromGroupTitle(i.Name, title)).FirstOrDefault(d => d is not null);

    // Spacing differs between registrations and results ("Udenafil 150 mg" / "Udenafil 150mg").
    private static string Compact(string text) => Normalize.NameKey(text).Replace(" ", "", StringComparison.Ordinal);

    // Word-bounded form for containment ("Group 5" is not in "Group 5a"), amounts joined to their units.
    private static string Words(string text) => " " + AmountSpace().Replace(Normalize.NameKey(text), "$1") + " ";

    [GeneratedRegex(@"^(?:(?:active|placebo|sham)\s+comparator|experimental|intervention|treatment|arm|group)(?:\s+(?:arm|group|[a-z0-9]{1,3}))?\s*:?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GenericTitlePattern();

    [GeneratedRegex(@"\s*\([^()]*\)\s*$")]
    private static partial Regex TrailingQualifier();

    [GeneratedRegex(@"(\d) (?=(?:mg|mcg|ug|g|ml|iu|units?|kg)\b)")]
    private static partial Regex AmountSpace();

    // A group that is a sequence of treatments: "drug in phase 1, then placebo in phase 2", "crosses over to".
    [GeneratedRegex(@"\b(?:phase|period) 1\b.*\b(?:phase|period) 2\b|cross(?:es|ed) over to|\bplacebo\b[^.]*\bthen\b[^.]*\b(?:active|drug)\b|\b(?:active|drug)\b[^.]*\bthen\b[^.]*\bplacebo\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SequencePattern();

    [GeneratedRegex(@"\b(?:total(?!\s+(?:daily|weekly|dose))|overall|all (?:participants|patients|subjects|randomi[sz]ed|treated|arms|groups)|combined|pooled|grade\s*\d|cohort|sub-?group|phase|period|part\s+[a-z0-9]\b|stage\s*\d|extension|open[- ]label|amendment|sequence|then|followed by|crossover|cross-over|responders?|non-?responders?|baseline|japanese|chinese|korean|caucasian|hispanic|african|asian|white|black|male|female|men|women|aged?\b|years? old)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NonArmPattern();
}
