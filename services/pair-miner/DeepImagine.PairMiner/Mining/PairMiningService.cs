using System.Collections.Concurrent;
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
    // Stored versions never change, so parsed neighbours can be kept; popular neighbours are loaded again and again.
    private readonly ConcurrentDictionary<long, StoredTrial> _neighbourCache = new();
    private const int NeighbourCacheSize = 4096;

    /// <param name="isNewVersion">true when this call stored the version: nothing can have mined it yet.</param>
    public async Task<(IReadOnlyList<PairCount> Counts, int NewPairs)> MineAsync(Trial trial, TrialRef version, bool isNewVersion, CancellationToken cancellationToken)
    {
        if (!isNewVersion && await pairs.IsMinedAsync(version.RowId, cancellationToken))
            return (await pairs.CountsForTrialAsync(version.RowId, cancellationToken), 0);

        var mined = new List<CounterfactualPair>(NaturalPairMiner.Mine(trial, version));
        if (trial.HasResults && options.TopK > 0)
        {
            var neighbours = await pairs.FindNeighboursAsync(TrialFeatures.Of(trial, version.RowId), options.TopK, cancellationToken);
            var scores = neighbours.ToDictionary(n => n.RowId, n => n.Score);
            foreach (var neighbour in await LoadNeighboursAsync(scores.Keys, cancellationToken))
            {
                var pair = ApproximatePairBuilder.Build((trial, version), (neighbour.Trial, neighbour.Ref), scores[neighbour.Id]);
                if (pair is not null) mined.Add(pair);
            }
        }
        var added = await pairs.StoreMinedAsync(version, mined, cancellationToken);
        // A version stored just now has no pairs but the ones mined here; otherwise ask the store.
        var counts = isNewVersion && added == mined.Count
            ? mined.SelectMany(p => p.Factors.Select(f => (p.Kind, Factor: f)))
                .GroupBy(x => x).OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenBy(g => g.Key.Factor, StringComparer.Ordinal)
                .Select(g => new PairCount(g.Key.Kind, g.Key.Factor, g.Count())).ToList()
            : await pairs.CountsForTrialAsync(version.RowId, cancellationToken);
        return (counts, added);
    }

    private async Task<IReadOnlyList<StoredTrial>> LoadNeighboursAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var missing = ids.Where(id => !_neighbourCache.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            if (_neighbourCache.Count > NeighbourCacheSize) _neighbourCache.Clear();
            foreach (var loaded in await trials.LoadAsync(missing, cancellationToken)) _neighbourCache[loaded.Id] = loaded;
        }
        return ids.Select(id => _neighbourCache.TryGetValue(id, out var t) ? t : null).OfType<StoredTrial>().ToList();
    }
}
