using System.Collections.Concurrent;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.PairMiner.Tests;

/// <summary>
/// pair-miner's stores in memory, with the same observable rules as the PostgreSQL ones: one version per content hash,
/// pairs idempotent by key, neighbours = other latest trials with results sharing an intervention or condition key.
/// </summary>
public sealed class InMemoryStores : ITrialStore, IPairStore
{
    private readonly Lock _gate = new();
    private readonly List<(StoredTrial Stored, bool Latest)> _trials = [];
    private readonly Dictionary<string, (long Id, CounterfactualPair Pair)> _pairs = new(StringComparer.Ordinal);
    private readonly HashSet<long> _mined = [];
    private long _nextPairId;

    public IReadOnlyList<(long Id, CounterfactualPair Pair)> Pairs { get { lock (_gate) return _pairs.Values.OrderBy(p => p.Id).ToList(); } }

    public Task<StoreResult> StoreAsync(Trial trial, string rawRecord, Guid correlationId, CancellationToken cancellationToken = default)
    {
        var hash = TrialRepository.ContentHash(rawRecord);
        lock (_gate)
        {
            var versions = _trials.Where(t => t.Stored.Trial.Source == trial.Source && t.Stored.Trial.SourceRecordId == trial.SourceRecordId).ToList();
            if (versions.FirstOrDefault(v => v.Stored.ContentHash == hash) is { Stored: not null } same)
                return Task.FromResult(new StoreResult(same.Stored.Id, same.Stored.Version, hash, false));
            for (var i = 0; i < _trials.Count; i++)
                if (versions.Any(v => v.Stored.Id == _trials[i].Stored.Id)) _trials[i] = (_trials[i].Stored, false);
            var stored = new StoredTrial(_trials.Count + 1, versions.Count + 1, hash, DateTimeOffset.UtcNow, trial);
            _trials.Add((stored, true));
            return Task.FromResult(new StoreResult(stored.Id, stored.Version, hash, true));
        }
    }

    public Task<StoredTrial?> GetVersionAsync(string source, string sourceRecordId, int version, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(_trials.Select(t => t.Stored).FirstOrDefault(t => t.Trial.Source == source && t.Trial.SourceRecordId == sourceRecordId && t.Version == version));
    }

    public Task<IReadOnlyList<StoredTrial>> LoadAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<StoredTrial>>(_trials.Select(t => t.Stored).Where(t => ids.Contains(t.Id)).ToList());
    }

    public Task<int> DeleteSourceAsync(string source, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_trials.RemoveAll(t => t.Stored.Trial.Source == source));
    }

    public Task<IReadOnlyList<(long RowId, int Score)>> FindNeighboursAsync(TrialFeatures self, int k, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var found = _trials.Where(t => t.Latest && t.Stored.Trial.HasResults && t.Stored.Id != self.RowId
                                           && !(t.Stored.Trial.Source == self.Source && t.Stored.Trial.SourceRecordId == self.SourceRecordId))
                .Select(t => (t.Stored.Id, Score: 2 * (TrialFeatures.InterventionNames(t.Stored.Trial).Intersect(self.Interventions).Any() ? 1 : 0)
                                                  + (TrialFeatures.ConditionKeys(t.Stored.Trial).Intersect(self.Conditions).Any() ? 1 : 0)))
                .Where(t => t.Score > 0)
                .OrderByDescending(t => t.Score).ThenByDescending(t => t.Id).Take(k).ToList();
            return Task.FromResult<IReadOnlyList<(long, int)>>(found);
        }
    }

    public Task<IReadOnlyList<long>> StoreMinedAsync(TrialRef mined, IReadOnlyCollection<CounterfactualPair> pairs, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var added = new List<long>();
            foreach (var pair in pairs)
            {
                if (_pairs.ContainsKey(pair.Key)) continue;
                _pairs[pair.Key] = (++_nextPairId, pair);
                added.Add(_nextPairId);
            }
            _mined.Add(mined.RowId);
            return Task.FromResult<IReadOnlyList<long>>(added);
        }
    }

    public Task<IReadOnlyList<LatestVersion>> ResetMiningAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _pairs.Clear();
            _mined.Clear();
            return Task.FromResult<IReadOnlyList<LatestVersion>>(_trials.Where(t => t.Latest).Select(t => t.Stored)
                .Select(t => new LatestVersion(t.Trial.TrialId, t.Trial.Source, t.Trial.SourceRecordId, t.Version, t.ContentHash, t.Trial.HasResults)).ToList());
        }
    }

    public Task<bool> IsMinedAsync(long trialRowId, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_mined.Contains(trialRowId));
    }

    public Task<IReadOnlyList<PairCount>> CountsForTrialAsync(long trialRowId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<PairCount>>(_pairs.Values.Select(p => p.Pair)
                .Where(p => p.A.TrialRowId == trialRowId || p.B.TrialRowId == trialRowId)
                .SelectMany(p => p.Factors.Select(f => (p.Kind, Factor: f)))
                .GroupBy(x => x).OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenBy(g => g.Key.Factor, StringComparer.Ordinal)
                .Select(g => new PairCount(g.Key.Kind, g.Key.Factor, g.Count())).ToList());
    }
}
