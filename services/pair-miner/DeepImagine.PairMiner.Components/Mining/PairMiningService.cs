using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using Microsoft.Extensions.Options;

namespace DeepImagine.PairMiner.Components.Mining;

/// <summary>Settings, section <c>PairMining</c> (validated at start-up).</summary>
public sealed class PairMiningOptions
{
    public const string SectionName = "PairMining";

    /// <summary>Approximate pairs kept per mined trial: its k most similar neighbours (0: none).</summary>
    [Range(0, 100)]
    public int TopK { get; set; } = 5;
}

/// <summary>What mining one version gave: all pairs that involve it by kind and factor, and the ids of the new ones.</summary>
public sealed record MiningResult(IReadOnlyList<PairCount> Counts, IReadOnlyList<long> NewPairIds);

/// <summary>
/// Mines one stored trial version: natural pairs from its own arms and outcomes, approximate pairs with its top-k
/// neighbours (which also gives those earlier trials their new neighbour). Mining a version twice adds nothing.
/// The service and `deepimagine bench pairs` both run this class.
/// </summary>
public sealed class PairMiningService(ITrialStore trials, IPairStore pairs, IOptions<PairMiningOptions> options)
{
    // Stored versions never change, so parsed neighbours can be kept; popular neighbours are loaded again and again.
    private readonly ConcurrentDictionary<long, StoredTrial> _neighbourCache = new();
    private const int NeighbourCacheSize = 4096;

    /// <param name="isNewVersion">true when this call stored the version: nothing can have mined it yet.</param>
    public async Task<MiningResult> MineAsync(Trial trial, TrialRef version, bool isNewVersion, CancellationToken cancellationToken)
    {
        if (!isNewVersion && await pairs.IsMinedAsync(version.RowId, cancellationToken))
            return new MiningResult(await pairs.CountsForTrialAsync(version.RowId, cancellationToken), []);

        var mined = new List<CounterfactualPair>(NaturalPairMiner.Mine(trial, version));
        mined.AddRange(await MineApproximateAsync(trial, version, cancellationToken));
        var added = await pairs.StoreMinedAsync(version, mined, cancellationToken);
        // A version stored just now has no pairs but the ones mined here; otherwise ask the store.
        var counts = isNewVersion && added.Count == mined.Count
            ? mined.SelectMany(p => p.Factors.Select(f => (p.Kind, Factor: f)))
                .GroupBy(x => x).OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenBy(g => g.Key.Factor, StringComparer.Ordinal)
                .Select(g => new PairCount(g.Key.Kind, g.Key.Factor, g.Count())).ToList()
            : await pairs.CountsForTrialAsync(version.RowId, cancellationToken);
        return new MiningResult(counts, added);
    }

    /// <summary>Approximate pairs of a trial with its top-k stored neighbours (nothing is stored).</summary>
    public async Task<IReadOnlyList<CounterfactualPair>> MineApproximateAsync(Trial trial, TrialRef version, CancellationToken cancellationToken)
    {
        var topK = options.Value.TopK;
        if (!trial.HasResults || topK == 0) return [];
        var neighbours = await pairs.FindNeighboursAsync(TrialFeatures.Of(trial, version.RowId), topK, cancellationToken);
        var scores = neighbours.ToDictionary(n => n.RowId, n => n.Score);
        var found = new List<CounterfactualPair>();
        foreach (var neighbour in await LoadNeighboursAsync(scores.Keys, cancellationToken))
        {
            var pair = ApproximatePairBuilder.Build((trial, version), (neighbour.Trial, neighbour.Ref), scores[neighbour.Id]);
            if (pair is not null) found.Add(pair);
        }
        return found;
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
