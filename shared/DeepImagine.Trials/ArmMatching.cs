namespace DeepImagine.Trials;

/// <summary>Links results groups ("Avanafil 50 mg") to the registered arms they report on.</summary>
internal static class ArmMatching
{
    public static string? MatchArm(IReadOnlyList<Arm> arms, string groupTitle)
    {
        if (arms.Count == 0) return null;
        var key = Compact(groupTitle);
        foreach (var arm in arms)
        {
            if (Compact(arm.Label) == key) return arm.Label;
        }
        // A group title that contains exactly one arm's label (or the reverse) names that arm.
        var contained = arms.Where(a =>
        {
            var label = Compact(a.Label);
            return label.Length > 0 && (key.Contains(label, StringComparison.Ordinal) || label.Contains(key, StringComparison.Ordinal));
        }).ToList();
        return contained.Count == 1 ? contained[0].Label : null;
    }

    // Spacing differs between registrations and results ("Udenafil 150 mg" / "Udenafil 150mg").
    private static string Compact(string text) => Normalize.NameKey(text).Replace(" ", "", StringComparison.Ordinal);
}
