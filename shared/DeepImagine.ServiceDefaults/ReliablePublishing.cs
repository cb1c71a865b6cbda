using MassTransit;


namespace DeepImagine.ServiceDefaults;

/// <summary>
/// Publishing that survives a broker restart. MassTransit publishes persistent messages to durable exchanges and waits
/// for the broker's publisher confirm; when the connection drops, the publish fails (or its confirm never comes) and
/// this retries it, with backoff, until the broker confirms. A message whose confirm was lost may thus arrive twice;
/// consumers are idempotent, so nothing is stored twice and nothing is lost.
/// </summary>
public static class ReliablePublishing
{
    /// <summary>One attempt may wait this long for a connection and a confirm before it is retried.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Retries stop after this long: longer than a broker restart, shorter than forever.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    /// <param name="retrying">called with each failed attempt before it is retried (for counting and logging)</param>
    public static async Task PublishReliablyAsync<T>(this IPublishEndpoint bus, T message, CancellationToken cancellationToken = default,
        Action<Exception>? retrying = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(AttemptTimeout);
            try
            {
                await bus.Publish(message, attempt.Token);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && DateTime.UtcNow < deadline
                                       && ex is not ArgumentException)
            {
                // Broker unreachable, connection lost before the confirm, or no confirm in time: try again.
                retrying?.Invoke(ex);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
