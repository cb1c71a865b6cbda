using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Storage;
using DeepImagine.Trials;

namespace DeepImagine.PairMiner.Mining;

/// <summary>Settings, section <c>PairMining</c>.</summary>
public sealed class PairMiningOptions
{
    public const string SectionName = "PairMining";
    /// <summary>Approximate pairs kept per mined trial: its k most similar neighbours.</summary>
    public int TopK { get; set; } = 5;
}

/// <summary>
/// Mines one stored trial version: natural pairs from its own arms and outcomes, approximate pairs with its top-k
/// neighbours (which also gives those earlier trials their new neighbour). Mining a version twice adds nothing.
/// </summary>
public sealed class PairMiningService(TrialRepository trials, PairRepository pairs, PairMiningOptions options)
{
    public async Task<(IReadOnlyList<PairCount> Counts, int NewPairs)> MineAsync(Trial trial, TrialRef version, CancellationToken cancellationToken)
    {
        if (await pairs.IsMinedAsync(version.RowId, cancellationToken))
            return (await pairs.CountsForTrialAsync(version.RowId, cancellationToken), 0);

        var mined = new List<CounterfactualPair>(NaturalPairMiner.Mine(trial, version));
        if (trial.HasResults && options.TopK > 0)
        {
            var neighbours = await pairs.FindNeighboursAsync(TrialFeatures.Of(trial, version.RowId), options.TopK, cancellationToken);
            var scores = neighbours.ToDictionary(n => n.RowId, n => n.Score);
            foreach (var neighbour in await trials.LoadAsync(scores.Keys, cancellationToken))
            {
                var pair = ApproximatePairBuilder.Build((trial, version), (neighbour.Trial, neighbour.Ref), scores[neighbour.Id]);
                if (pair is not null) mined.Add(pair);
            }
        }
        var added = await pairs.StoreMinedAsync(version, mined, cancellationToken);
        return (await pairs.CountsForTrialAsync(version.RowId, cancellationToken), added);
    }
}
