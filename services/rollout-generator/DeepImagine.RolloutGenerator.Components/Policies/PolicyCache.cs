using DeepImagine.Contracts.V1;
using DeepImagine.Model;
using DeepImagine.Model.Store;
using DeepImagine.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace DeepImagine.RolloutGenerator.Policies;

/// <summary>A policy version in use: disposing it hands it back (an evicted version is freed once nobody uses it).</summary>
public sealed class PolicyLease(LoadedModel policy, Action release) : IDisposable
{
    private int _released;
    public LoadedModel Policy { get; } = policy;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}

/// <summary>
/// The policies this worker serves, loaded from the model store and kept (the newest <c>CachedVersions</c> per model).
/// A version is loaded once however many ask for it at once; the newest loaded version of a model is the one it
/// serves, and each time a newer one is in place (swapped under a lock, never half-loaded) <c>PolicyActivated</c> is
/// published. A version that fails to load changes nothing: the previous one keeps serving.
/// </summary>
public sealed class PolicyCache(ModelStore store, RolloutOptions options, IBus bus, ILogger<PolicyCache> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<int, Entry>> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), Task<Entry>> _loading = new();
    private readonly string _worker = options.ResolvedWorker();

    public string Worker => _worker;

    /// <summary>The version this worker serves for a model (the newest loaded), or null when it serves none.</summary>
    public int? Serving(string modelName)
    {
        lock (_gate) return _loaded.TryGetValue(modelName, out var versions) && versions.Count > 0 ? versions.Keys.Max() : null;
    }

    /// <summary>Every loaded version by model, for the status endpoint.</summary>
    public IReadOnlyList<(string Model, int Version)> Loaded()
    {
        lock (_gate) return _loaded.SelectMany(m => m.Value.Keys.Select(v => (m.Key, v))).OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.v).ToList();
    }

    /// <summary>The version, loaded now if it is not yet. Throws <see cref="ModelVersionNotFoundException"/> when the store lacks it.</summary>
    public async Task<PolicyLease> AcquireAsync(string modelName, int version, CancellationToken cancellationToken)
    {
        var entry = await EnsureLoadedAsync(modelName, version, acquire: true, cancellationToken);
        return new PolicyLease(entry.Policy, () => Release(entry));
    }

    /// <summary>
    /// A newer version was published: loads it if this worker serves that model and it is newer than what it serves
    /// (the old one keeps serving meanwhile). A failure is logged and leaves the served version as it is. Returns
    /// whether the new version is now served.
    /// </summary>
    public async Task<bool> OfferAsync(string modelName, int version, CancellationToken cancellationToken)
    {
        var serving = Serving(modelName);
        if (serving is null || version <= serving) return false;
        try
        {
            await EnsureLoadedAsync(modelName, version, acquire: false, cancellationToken);
            return Serving(modelName) == version;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "{Worker}: {Model} v{Version} could not be loaded; still serving v{Serving}", _worker, modelName, version, serving);
            return false;
        }
    }

    /// <summary>The loaded entry; with <paramref name="acquire"/> it is counted as in use under the same lock that found it, so no eviction frees it in between.</summary>
    private async Task<Entry> EnsureLoadedAsync(string modelName, int version, bool acquire, CancellationToken cancellationToken)
    {
        Task<Entry> loading;
        lock (_gate)
        {
            if (_loaded.TryGetValue(modelName, out var versions) && versions.TryGetValue(version, out var ready))
            {
                if (acquire) ready.Users++;
                return ready;
            }
            if (!_loading.TryGetValue((modelName, version), out loading!))
            {
                // Off the caller's thread: reading and streaming weights is long, synchronous work.
                loading = Task.Run(() => Load(modelName, version), CancellationToken.None);
                _loading[(modelName, version)] = loading;
            }
        }
        try
        {
            return await ActivateAsync(await loading.WaitAsync(cancellationToken), acquire);
        }
        finally
        {
            lock (_gate)
            {
                if (_loading.TryGetValue((modelName, version), out var current) && current == loading && loading.IsCompleted) _loading.Remove((modelName, version));
            }
        }
    }

    private Entry Load(string modelName, int version)
    {
        logger.LogInformation("{Worker}: loading {Model} v{Version} on {Device}", _worker, modelName, version, TorchDevice.Default);
        var policy = store.Load(modelName, version, TorchDevice.Default, options.MergeAdapters, verify: true);
        return new Entry(policy);
    }

    /// <summary>
    /// Puts a loaded version in place (once: later callers get the entry already there), evicts versions beyond the newest
    /// kept (never the one just asked for), and announces a newly served one.
    /// </summary>
    private async Task<Entry> ActivateAsync(Entry loaded, bool acquire)
    {
        var name = loaded.Policy.Name;
        var version = loaded.Policy.Number;
        var activated = false;
        var freed = new List<Entry>();
        Entry entry;
        lock (_gate)
        {
            if (!_loaded.TryGetValue(name, out var versions)) _loaded[name] = versions = new SortedDictionary<int, Entry>();
            if (versions.TryGetValue(version, out var present))
            {
                entry = present;
            }
            else
            {
                entry = loaded;
                var previous = versions.Count > 0 ? versions.Keys.Max() : (int?)null;
                versions[version] = entry;
                activated = previous is null || version > previous;
                foreach (var old in versions.Keys.Reverse().Skip(options.CachedVersions).Where(v => v != version).ToList())
                {
                    var gone = versions[old];
                    versions.Remove(old);
                    gone.Evicted = true;
                    if (gone.Users == 0) freed.Add(gone);
                }
            }
            if (acquire) entry.Users++;
        }
        foreach (var gone in freed) gone.Policy.Dispose();
        // Loaded twice (a second load started after the first was put in place): the spare copy is not kept.
        if (!ReferenceEquals(entry, loaded)) loaded.Policy.Dispose();
        if (activated)
        {
            logger.LogInformation("{Worker}: serving {Model} v{Version}", _worker, name, version);
            await bus.PublishReliablyAsync(new PolicyActivated(name, version, _worker, DateTimeOffset.UtcNow));
        }
        return entry;
    }

    private void Release(Entry entry)
    {
        bool dispose;
        lock (_gate)
        {
            entry.Users--;
            dispose = entry.Evicted && entry.Users == 0;
        }
        if (dispose) entry.Policy.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _loaded.Values.SelectMany(v => v.Values)) entry.Policy.Dispose();
            _loaded.Clear();
        }
    }

    private sealed class Entry(LoadedModel policy)
    {
        public LoadedModel Policy { get; } = policy;
        public int Users { get; set; }
        public bool Evicted { get; set; }
    }
}
