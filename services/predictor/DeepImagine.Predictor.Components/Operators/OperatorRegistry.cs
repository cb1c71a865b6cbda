using DeepImagine.Model.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.Predictor.Operators;

/// <summary>A set of operators held for one prediction: a swapped-out set is disposed only once every lease on it is returned.</summary>
public sealed class OperatorLease : IDisposable
{
    private readonly OperatorRegistry.Entry? entry;
    private int returned;

    internal OperatorLease(OperatorRegistry.Entry? entry) => this.entry = entry;

    /// <summary>Null when the store has no base model.</summary>
    public OperatorSet? Set => entry?.Set;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref returned, 1) == 0) entry?.Release();
    }
}

/// <summary>
/// The operators in use, swapped atomically: <see cref="ReloadAsync"/> loads the store's newest versions in the
/// background and switches only when loading succeeded (a failure keeps the old set and is logged). A prediction holds
/// a lease (<see cref="AcquireAsync"/>) for all its steps, so it runs on one set from start to end, and a replaced set is
/// disposed when its last lease is returned. Steps of concurrent predictions run together through <see cref="Steps"/>.
/// </summary>
public sealed class OperatorRegistry(ModelStore store, string baseName, ILogger<OperatorRegistry>? logger = null, int maxBatchRows = StepScheduler.DefaultMaxBatchRows,
    int inferenceWorkers = 1) : IDisposable
{
    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly object gate = new();
    private readonly ILogger logger = logger ?? NullLogger<OperatorRegistry>.Instance;
    private Entry? current;
    private Task<bool>? firstLoad;

    public string BaseName { get; } = baseName;

    /// <summary>Where every prediction's steps are batched with those of the others waiting.</summary>
    public StepScheduler Steps { get; } = new(maxBatchRows, inferenceWorkers);

    /// <summary>Why the last reload failed (null after a success).</summary>
    public string? LastError { get; private set; }

    /// <summary>The current set, held until the lease is disposed (its set is null when the store has no base model).</summary>
    public async Task<OperatorLease> AcquireAsync(CancellationToken cancellationToken)
    {
        // Every caller waits for the first load (concurrent first callers too), not only the one that started it.
        Task<bool> first;
        lock (gate) first = firstLoad ??= ReloadCoreAsync(CancellationToken.None);
        await first.WaitAsync(cancellationToken);
        lock (gate)
        {
            current?.AddUser();
            return new OperatorLease(current);
        }
    }

    /// <summary>Loads the newest operators; true when a new set is in use.</summary>
    public Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var reload = ReloadCoreAsync(cancellationToken);
            firstLoad ??= reload;
            return reload;
        }
    }

    private async Task<bool> ReloadCoreAsync(CancellationToken cancellationToken)
    {
        await loading.WaitAsync(cancellationToken);
        try
        {
            OperatorSet? next;
            try
            {
                // Loading reads weights from disk: off the caller's thread, while predictions go on with the old set.
                next = await Task.Run(() => OperatorSet.Load(store, BaseName), cancellationToken);
                LastError = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LastError = ex.Message;
                logger.LogError(ex, "loading the operators of {Base} failed; the previous ones stay in use", BaseName);
                return false;
            }
            if (next is null || next.Key == current?.Set.Key)
            {
                next?.Dispose();
                return false;
            }
            Entry? old;
            lock (gate)
            {
                old = current;
                current = new Entry(next);
            }
            old?.Release(); // the registry's own hold; the set goes when the last prediction on it ends
            logger.LogInformation("operators in use: {Versions}", string.Join(", ", next.Versions.Select(v => $"{v.Key}={v.Value}")));
            return true;
        }
        finally
        {
            loading.Release();
        }
    }

    public void Dispose()
    {
        current?.Release();
        loading.Dispose();
    }

    /// <summary>A loaded set and its holders: the registry while it is current, plus one per lease.</summary>
    internal sealed class Entry(OperatorSet set)
    {
        private int holders = 1;

        public OperatorSet Set { get; } = set;

        public void AddUser() => Interlocked.Increment(ref holders);

        public void Release()
        {
            if (Interlocked.Decrement(ref holders) == 0) Set.Dispose();
        }
    }
}
