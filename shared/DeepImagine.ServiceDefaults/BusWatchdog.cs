using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepImagine.ServiceDefaults;

/// <summary>Settings of <see cref="BusWatchdog"/>, section <c>RabbitMq</c> (env <c>RabbitMq__StallTimeout</c>, …).</summary>
public sealed class BusWatchdogOptions
{
    /// <summary>
    /// A message received this long ago and still not done, or a publish or send still unconfirmed after this long,
    /// means the bus is wedged. Longer than the slowest consumer of the service (a service
    /// with slow consumers sets more); 0 turns the watchdog off.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the watchdog looks.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The bus's unfinished work: every message received and not yet done, every publish and send not yet confirmed, with
/// when it began. Connected to the bus as its receive, publish and send observer.
/// </summary>
public sealed class BusActivity : IReceiveObserver, IPublishObserver, ISendObserver
{
    private readonly ConcurrentDictionary<object, long> started = new(ReferenceEqualityComparer.Instance);

    /// <summary>Receives, publishes and sends under way.</summary>
    public int InFlight => started.Count;

    /// <summary>The oldest unfinished receive, publish or send and its age; null when none is under way.</summary>
    public (string What, TimeSpan Age)? Oldest()
    {
        var now = Stopwatch.GetTimestamp();
        KeyValuePair<object, long>? oldest = null;
        foreach (var entry in started)
        {
            if (oldest is null || entry.Value < oldest.Value.Value) oldest = entry;
        }
        return oldest is { } o ? (Describe(o.Key), Stopwatch.GetElapsedTime(o.Value, now)) : null;
    }

    private Task Begin(object operation)
    {
        started.TryAdd(operation, Stopwatch.GetTimestamp());
        return Task.CompletedTask;
    }

    private Task End(object operation)
    {
        started.TryRemove(operation, out _);
        return Task.CompletedTask;
    }

    private static string Describe(object operation) => operation switch
    {
        ReceiveContext r => $"a message received on {r.InputAddress}",
        PublishContext p => $"a publish to {p.DestinationAddress}",
        SendContext s => $"a send to {s.DestinationAddress}",
        _ => operation.GetType().Name,
    };

    Task IReceiveObserver.PreReceive(ReceiveContext context) => Begin(context);
    Task IReceiveObserver.PostReceive(ReceiveContext context) => End(context);
    Task IReceiveObserver.ReceiveFault(ReceiveContext context, Exception exception) => End(context);
    Task IReceiveObserver.PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) => Task.CompletedTask;
    Task IReceiveObserver.ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) => Task.CompletedTask;
    Task IPublishObserver.PrePublish<T>(PublishContext<T> context) => Begin(context);
    Task IPublishObserver.PostPublish<T>(PublishContext<T> context) => End(context);
    Task IPublishObserver.PublishFault<T>(PublishContext<T> context, Exception exception) => End(context);
    Task ISendObserver.PreSend<T>(SendContext<T> context) => Begin(context);
    Task ISendObserver.PostSend<T>(SendContext<T> context) => End(context);
    Task ISendObserver.SendFault<T>(SendContext<T> context, Exception exception) => End(context);
}

/// <summary>
/// Ends the service, with <see cref="ExitCode"/>, when its bus is wedged, so that its supervisor (infra/local/services.sh,
/// compose's <c>restart:</c>, systemd) starts it afresh. MassTransit 8.5 over RabbitMQ.Client 7.2 does not always come
/// back from a broker restart under load: a publish can wait forever for a confirm that never comes
/// (rabbitmq-dotnet-client#1930), holding its consumer, its endpoint and later publishes on that channel, and a bus
/// cannot be started again in-process once stopped. A fresh process reconnects; what was held unacknowledged was
/// requeued by the broker and consumers are idempotent, so nothing is lost or stored twice.
/// </summary>
public sealed class BusWatchdog(BusActivity activity, IHostApplicationLifetime lifetime, IOptions<BusWatchdogOptions> options,
    ILogger<BusWatchdog> log) : BackgroundService
{
    /// <summary>EX_TEMPFAIL, "try again": the supervisors restart on it.</summary>
    public const int ExitCode = 75;

    /// <summary>
    /// Why the bus counts as wedged now, or null while it does not. Only unfinished work counts: a bus that is merely
    /// unhealthy (the broker is down) reconnects by itself, and a restart would not bring the broker back.
    /// </summary>
    public string? Stall()
    {
        var limit = options.Value.StallTimeout;
        if (limit <= TimeSpan.Zero) return null;
        return activity.Oldest() is { } oldest && oldest.Age > limit
            ? $"{oldest.What} has not finished after {oldest.Age.TotalSeconds:0} s (RabbitMq:StallTimeout {limit.TotalSeconds:0} s)"
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.StallTimeout <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.Value.CheckEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (Stall() is not { } reason) continue;
            log.LogCritical("The message bus is wedged: {Reason}. Exiting with {ExitCode} so that the supervisor starts this service afresh",
                reason, ExitCode);
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
            return;
        }
    }
}
