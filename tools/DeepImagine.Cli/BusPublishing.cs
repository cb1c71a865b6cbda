using DeepImagine.ServiceDefaults;
using MassTransit;

namespace DeepImagine.Cli;

internal static class BusPublishing
{
    /// <summary>
    /// Publishes the messages a chunk at a time (concurrent within a chunk, so confirms overlap), each retried until the
    /// broker confirms it, so an import survives a broker restart.
    /// </summary>
    public static async Task PublishAllAsync<T>(this IBus bus, IEnumerable<T> messages, CancellationToken cancellationToken, Action<int>? published = null)
        where T : class
    {
        foreach (var chunk in messages.Chunk(100))
        {
            await Task.WhenAll(chunk.Select(m => bus.PublishReliablyAsync(m, cancellationToken)));
            published?.Invoke(chunk.Length);
        }
    }
}
