using DeepImagine.Trials;

namespace DeepImagine.Pairs;

/// <summary>
/// What neighbour retrieval matches a trial on, all normalized with <see cref="Normalize.NameKey"/>. The store keeps
/// these keys in indexed columns computed here (never in SQL), so there is one definition of the normalization.
/// </summary>
public sealed record TrialFeatures(long RowId, string Source, string SourceRecordId, string[] Interventions, string[] Conditions,
    string[] Phases, string[] Countries, string? Sex, string? Masking, string? Allocation, int? Enrollment)
{
    public static TrialFeatures Of(Trial trial, long rowId) => new(rowId, trial.Source, trial.SourceRecordId,
        InterventionNames(trial), ConditionKeys(trial), trial.Phases.ToArray(), trial.Countries.ToArray(),
        trial.Eligibility.Sex, trial.Design.Masking, trial.Design.Allocation, trial.Enrollment);

    /// <summary>Normalized condition names: what retrieval matches conditions on.</summary>
    public static string[] ConditionKeys(Trial trial) => trial.Conditions
        .Select(Normalize.NameKey)
        .Where(n => n.Length > 0)
        .Distinct(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Normalized names and other names of the non-placebo interventions: what retrieval matches on.</summary>
    public static string[] InterventionNames(Trial trial) => trial.Interventions
        .Where(i => !i.IsPlacebo)
        .SelectMany(i => i.OtherNames.Prepend(i.Name))
        .Select(Normalize.NameKey)
        .Where(n => n.Length > 0)
        .Distinct(StringComparer.Ordinal)
        .ToArray();
}
