using DeepImagine.Trials;
using DeepImagine.Trials.Tests;

namespace DeepImagine.Pairs.Tests;

/// <summary>Natural pairs of bundled real records, and ways to pick one out.</summary>
internal static class Mined
{
    public static Trial Trial(string id) => id.StartsWith("clinDR:", StringComparison.Ordinal)
        ? TrialRecordParser.Parse(SourceFiles.Read([RepoData.ClinDrTable]).Single(r => r.RecordId == id))
        : id.Length > 0 && RepoData.IsLegacyXml(id) ? RepoData.LegacyTrial(id) : RepoData.V2Trial(id);

    public static IReadOnlyList<CounterfactualPair> Pairs(string id, long rowId = 1)
    {
        var trial = Trial(id);
        return NaturalPairMiner.Mine(trial, new TrialRef(rowId, trial.TrialId, trial.Source, trial.SourceRecordId, 1));
    }

    /// <summary>The arm pair of two arms on a measure's single (unclassified) cell.</summary>
    public static CounterfactualPair ArmPair(this IReadOnlyList<CounterfactualPair> pairs, string outcomeId, string armA, string armB) =>
        pairs.Single(p => p.Factors[0] != Factors.Outcome && p.A.OutcomeId == outcomeId && p.A.Class is null && p.A.Category is null
                          && p.A.Arm == armA && p.B.Arm == armB);
}
