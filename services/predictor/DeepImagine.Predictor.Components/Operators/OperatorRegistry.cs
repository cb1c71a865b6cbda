using DeepImagine.Model.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.Predictor.Operators;

/// <summary>
/// The operators in use, swapped atomically: <see cref="ReloadAsync"/> loads the store's newest versions in the
/// background and switches only when loading succeeded (a failure keeps the old set and is logged). Inference holds
/// <see cref="UseAsync"/>'s lock, so a replaced set is disposed only once no step runs on it.
/// </summary>
public sealed class OperatorRegistry(ModelStore store, string baseName, ILogger<OperatorRegistry>? logger = null) : IDisposable
{
    private readonly SemaphoreSlim inference = new(1, 1);
    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly ILogger logger = logger ?? NullLogger<OperatorRegistry>.Instance;
    private OperatorSet? current;
    private bool attempted;

    public string BaseName { get; } = baseName;

    /// <summary>Why the last reload failed (null after a success).</summary>
    public string? LastError { get; private set; }

    /// <summary>Runs <paramref name="work"/> with the current set (null when the store has no base model) under the inference lock.</summary>
    public async Task<T> UseAsync<T>(Func<OperatorSet?, T> work, CancellationToken cancellationToken)
    {
        if (!attempted) await ReloadAsync(cancellationToken);
        await inference.WaitAsync(cancellationToken);
        try
        {
            return work(current);
        }
        finally
        {
            inference.Release();
        }
    }

    /// <summary>Loads the newest operators; true when a new set is in use.</summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        await loading.WaitAsync(cancellationToken);
        try
        {
            attempted = true;
            OperatorSet? next;
            try
            {
                // Loading reads weights from disk: off the caller's thread, outside the inference lock.
                next = await Task.Run(() => OperatorSet.Load(store, BaseName), cancellationToken);
                LastError = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LastError = ex.Message;
                logger.LogError(ex, "loading the operators of {Base} failed; the previous ones stay in use", BaseName);
                return false;
            }
            if (next is null || next.Key == current?.Key)
            {
                next?.Dispose();
                return false;
            }
            await inference.WaitAsync(cancellationToken);
            OperatorSet? old;
            try
            {
                old = current;
                current = next;
            }
            finally
            {
                inference.Release();
            }
            old?.Dispose();
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
        current?.Dispose();
        inference.Dispose();
        loading.Dispose();
    }
}
