using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.PairMiner.Components.Data;

/// <summary>Outcome of storing one record: its version and whether this call created it.</summary>
public sealed record StoreResult(long Id, int Version, string ContentHash, bool IsNewVersion);

/// <summary>A stored trial with its storage metadata.</summary>
public sealed record StoredTrial(long Id, int Version, string ContentHash, DateTimeOffset StoredAt, Trial Trial)
{
    public TrialRef Ref => new(Id, Trial.TrialId, Trial.Source, Trial.SourceRecordId, Version);
}

/// <summary>A stored pair: its row id and the pair as mined.</summary>
public sealed record StoredPair(long Id, CounterfactualPair Pair);

/// <summary>The latest stored version of a record, as mining is announced for it.</summary>
public sealed record LatestVersion(string TrialId, string Source, string SourceRecordId, int Version, string ContentHash, bool HasResults);

/// <summary>
/// The trials the consumers and mining need (PostgreSQL in the service, in memory in the broker-free consumer tests).
/// Writes are idempotent per (source, record id, content hash).
/// </summary>
public interface ITrialStore
{
    Task<StoreResult> StoreAsync(Trial trial, string rawRecord, Guid correlationId, CancellationToken cancellationToken = default);
    Task<StoredTrial?> GetVersionAsync(string source, string sourceRecordId, int version, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<StoredTrial>> LoadAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);
    /// <summary>Removes every version of a source's records (and so their pairs); returns how many versions.</summary>
    Task<int> DeleteSourceAsync(string source, CancellationToken cancellationToken = default);
}

/// <summary>The pairs the consumers and mining need.</summary>
public interface IPairStore
{
    /// <summary>The <paramref name="k"/> most similar other latest trials with results, with their match scores.</summary>
    Task<IReadOnlyList<(long RowId, int Score)>> FindNeighboursAsync(TrialFeatures self, int k, CancellationToken cancellationToken = default);

    /// <summary>Stores a version's pairs and marks it mined; returns the ids of the pairs that are new.</summary>
    Task<IReadOnlyList<long>> StoreMinedAsync(TrialRef mined, IReadOnlyCollection<CounterfactualPair> pairs, CancellationToken cancellationToken = default);

    /// <summary>Forgets every pair and every mined mark; returns the latest versions to mine again.</summary>
    Task<IReadOnlyList<LatestVersion>> ResetMiningAsync(CancellationToken cancellationToken = default);

    Task<bool> IsMinedAsync(long trialRowId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<PairCount>> CountsForTrialAsync(long trialRowId, CancellationToken cancellationToken = default);
}
