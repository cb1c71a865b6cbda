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

    public static IReadOnlyList<GroupMapping> MapGroups(IReadOnlyList<Arm> arms, IReadOnlyList<GroupText> groups)
    {
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
        var exact = arms.FirstOrDefault(a => Compact(a.Label) == key);
        if (exact is not null) return new GroupMapping(exact.Label, null, TitleDose(exact, group.Title));
        if (NonArmPattern().Match(group.Title) is { Success: true } nonArm)
            return new GroupMapping(null, $"the title names a {nonArm.Value.Trim().ToLowerInvariant()}, not an arm", null);
        // A group title that contains exactly one arm's label (or the reverse) names that arm.
        var contained = arms.Where(a =>
        {
            var label = Compact(a.Label);
            return label.Length > 0 && key.Length > 0 && (key.Contains(label, StringComparison.Ordinal) || label.Contains(key, StringComparison.Ordinal));
        }).ToList();
        if (contained.Count == 1) return new GroupMapping(contained[0].Label, null, TitleDose(contained[0], group.Title));
        // A single-arm study reporting a single group: the group is the arm whatever its title.
        if (arms.Count == 1 && groupCount == 1) return new GroupMapping(arms[0].Label, null, TitleDose(arms[0], group.Title));
        return new GroupMapping(null, contained.Count > 1 ? "the title names several arms" : "no arm matches the title", null);
    }

    private static Dose? TitleDose(Arm arm, string title) =>
        arm.Interventions.Where(i => !i.IsPlacebo).Select(i => DoseParser.FromGroupTitle(i.Name, title)).FirstOrDefault(d => d is not null);

    // Spacing differs between registrations and results ("Udenafil 150 mg" / "Udenafil 150mg").
    private static string Compact(string text) => Normalize.NameKey(text).Replace(" ", "", StringComparison.Ordinal);

    [GeneratedRegex(@"\b(?:total|overall|all (?:participants|patients|subjects|randomi[sz]ed|treated|arms|groups)|combined|pooled|grade\s*\d|cohort|sub-?group|phase|period|part\s+[a-z0-9]\b|stage\s*\d|extension|open[- ]label|amendment|sequence|then|followed by|crossover|cross-over|responders?|non-?responders?|baseline|japanese|chinese|korean|caucasian|hispanic|african|asian|white|black|male|female|men|women|aged?\b|years? old)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NonArmPattern();
}
