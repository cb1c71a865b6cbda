using System.Collections.Concurrent;
using DeepImagine.Contracts.V1;
using MassTransit;

namespace DeepImagine.Cli;

/// <summary>
/// Listens on a temporary queue for the outcome of records this run published (matched by correlation id), so the
/// CLI can wait until every record is stored and mined (<see cref="PairsMined"/>), or rejected.
/// </summary>
internal sealed class EventCounter : IAsyncDisposable
{
    private readonly Guid _correlationId;
    private readonly HostReceiveEndpointHandle _handle;
    private readonly ConcurrentDictionary<string, byte> _stored = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrialRejected> _rejected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PairsMined> _mined = new(StringComparer.Ordinal);
    private int _newVersions;

    private EventCounter(IBus bus, Guid correlationId)
    {
        _correlationId = correlationId;
        _handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, endpoint =>
        {
            endpoint.Handler<TrialStored>(context =>
            {
                if (context.Message.CorrelationId == _correlationId && _stored.TryAdd(Key(context.Message.SourceName, context.Message.SourceRecordId), 0)
                    && context.Message.IsNewVersion)
                {
                    Interlocked.Increment(ref _newVersions);
                }
                return Task.CompletedTask;
            });
            endpoint.Handler<PairsMined>(context =>
            {
                if (context.Message.CorrelationId == _correlationId)
                    _mined.TryAdd(Key(context.Message.SourceName, context.Message.SourceRecordId), context.Message);
                return Task.CompletedTask;
            });
            endpoint.Handler<TrialRejected>(context =>
            {
                if (context.Message.CorrelationId == _correlationId)
                    _rejected.TryAdd(Key(context.Message.SourceName, context.Message.SourceRecordId), context.Message);
                return Task.CompletedTask;
            });
        });
    }

    public static async Task<EventCounter> StartAsync(IBus bus, Guid correlationId)
    {
        var counter = new EventCounter(bus, correlationId);
        await counter._handle.Ready;
        return counter;
    }

    public int Stored => _stored.Count;
    public int NewVersions => Volatile.Read(ref _newVersions);
    public IReadOnlyCollection<TrialRejected> Rejected => _rejected.Values.ToList();
    public int Mined => _mined.Count;
    public int NewPairs => _mined.Values.Sum(m => m.NewPairs);
    /// <summary>Records mined (hence stored) or rejected.</summary>
    public int Done => _mined.Count + _rejected.Count;
    /// <summary>Records stored or rejected (mining may still be under way).</summary>
    public int DoneStoring => _stored.Count + _rejected.Count;

    /// <summary>Waits until <paramref name="expected"/> distinct records are accounted for, or the timeout passes.</summary>
    public async Task<bool> WaitForAsync(int expected, TimeSpan timeout, Action<int>? progress = null, CancellationToken cancellationToken = default, bool storedOnly = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        int Count() => storedOnly ? DoneStoring : Done;
        while (Count() < expected)
        {
            if (DateTime.UtcNow > deadline) return false;
            progress?.Invoke(Count());
            await Task.Delay(10, cancellationToken);
        }
        progress?.Invoke(Count());
        return true;
    }

    private static string Key(string source, string recordId) => source + "\u0001" + recordId;

    public async ValueTask DisposeAsync() => await _handle.StopAsync();
}
