using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace DeepImagine.ServiceDefaults;

/// <summary>A message MassTransit moved to an <c>_error</c> queue, with the fault headers that say why.</summary>
public sealed record ErrorMessage(string Queue, string? MessageId, string? MessageType, string Reason, string? ExceptionType, string? FaultedAt, string Body)
{
    /// <summary>The record the message is about, when it is a trial message (its sourceRecordId).</summary>
    public string? RecordId
    {
        get
        {
            try
            {
                using var envelope = JsonDocument.Parse(Body);
                return envelope.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object
                    && m.TryGetProperty("sourceRecordId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>
/// Lists and replays the <c>_error</c> queues MassTransit fills with messages that failed after their retries
/// (<c>./deepimagine errors list|replay</c>), so nobody needs the RabbitMQ console to recover after a fix. Queue names
/// come from the management HTTP API (AMQP cannot list queues); messages are read and moved over AMQP: a replayed
/// message is published to its original queue (the error queue's name without <c>_error</c>) with publisher confirms,
/// and only then removed from the error queue, so a failure in between duplicates at worst (consumers are idempotent)
/// and never loses one.
/// </summary>
public sealed class ErrorQueues(RabbitMqOptions options, Uri managementApi)
{
    public const string Suffix = "_error";

    /// <summary>The management API beside the broker: http://host:15672 unless <c>RabbitMq:ManagementPort</c> says otherwise.</summary>
    public static Uri DefaultManagementApi(RabbitMqOptions options, int? managementPort = null) =>
        new($"http://{options.Host}:{managementPort ?? 15672}/");

    /// <summary>Every error queue in the virtual host with its message count.</summary>
    public async Task<IReadOnlyList<(string Queue, long Messages)>> QueuesAsync(CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = managementApi, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        var queues = await http.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(options.VirtualHost)}?columns=name,messages", cancellationToken);
        return queues.EnumerateArray()
            .Select(q => (Queue: q.GetProperty("name").GetString()!, Messages: q.TryGetProperty("messages", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0))
            .Where(q => q.Queue.EndsWith(Suffix, StringComparison.Ordinal))
            .OrderBy(q => q.Queue, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Reads up to <paramref name="max"/> messages of an error queue without taking them off it.</summary>
    public async Task<IReadOnlyList<ErrorMessage>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        RequireErrorQueue(queue);
        await using var connection = await ConnectAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var messages = new List<ErrorMessage>();
        ulong lastTag = 0;
        while (messages.Count < max && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } result)
        {
            messages.Add(Describe(queue, result));
            lastTag = result.DeliveryTag;
        }
        // Everything read goes back, in order; the declare's reply (same channel) means the broker has done so.
        if (lastTag > 0) await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, cancellationToken);
        await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        return messages;
    }

    /// <summary>
    /// Moves the messages of an error queue back to their original queue (at most <paramref name="max"/>, and only those
    /// whose body contains <paramref name="match"/> when given). Returns them. A replayed message that fails again and
    /// comes back during the replay is left in the error queue, so a replay always ends.
    /// </summary>
    public async Task<IReadOnlyList<ErrorMessage>> ReplayAsync(string queue, int max, string? match = null, CancellationToken cancellationToken = default)
    {
        RequireErrorQueue(queue);
        var target = queue[..^Suffix.Length];
        await using var connection = await ConnectAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await channel.QueueDeclarePassiveAsync(target, cancellationToken);
        var replayed = new List<ErrorMessage>();
        var replayedIds = new HashSet<string>(StringComparer.Ordinal);
        var held = new List<ulong>();
        while (replayed.Count < max && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } result)
        {
            var message = Describe(queue, result);
            if (message.MessageId is { } id && replayedIds.Contains(id))
            {
                held.Add(result.DeliveryTag); // failed again already: it stays for the next replay, and this one ends
                break;
            }
            if (match is not null && !message.Body.Contains(match, StringComparison.Ordinal))
            {
                held.Add(result.DeliveryTag); // held unacknowledged, so the loop moves on to the next message
                continue;
            }
            var properties = new BasicProperties(result.BasicProperties);
            if (properties.Headers is not null)
            {
                // The fault headers describe the failure being recovered from; a new failure writes its own.
                properties.Headers = properties.Headers.Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && h.Key != "MT-Reason")
                    .ToDictionary(h => h.Key, h => h.Value);
            }
            // Confirmed by the broker before the error copy is removed: at worst a duplicate, never a loss.
            await channel.BasicPublishAsync("", target, mandatory: true, properties, result.Body, cancellationToken);
            await channel.BasicAckAsync(result.DeliveryTag, multiple: false, cancellationToken);
            replayed.Add(message);
            if (message.MessageId is { } replayedId) replayedIds.Add(replayedId);
        }
        foreach (var tag in held) await channel.BasicNackAsync(tag, multiple: false, requeue: true, cancellationToken);
        await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        return replayed;
    }

    private static void RequireErrorQueue(string queue)
    {
        if (!queue.EndsWith(Suffix, StringComparison.Ordinal) || queue.Length == Suffix.Length)
            throw new ArgumentException($"'{queue}' is not an error queue (its name must end in {Suffix}); see 'deepimagine errors list'", nameof(queue));
    }

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) => new ConnectionFactory
    {
        HostName = options.Host,
        Port = options.Port,
        VirtualHost = options.VirtualHost,
        UserName = options.Username,
        Password = options.Password,
        ClientProvidedName = "deepimagine-errors",
    }.CreateConnectionAsync(cancellationToken);

    private static ErrorMessage Describe(string queue, BasicGetResult result)
    {
        var headers = result.BasicProperties.Headers ?? new Dictionary<string, object?>();
        string? Header(string name) => headers.TryGetValue(name, out var v) ? v switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => null,
            var other => other.ToString(),
        } : null;
        return new ErrorMessage(queue, result.BasicProperties.MessageId, result.BasicProperties.Type ?? Header("Content-Type"),
            Header("MT-Fault-Message") ?? Header("MT-Reason") ?? "(no reason recorded)", Header("MT-Fault-ExceptionType"),
            Header("MT-Fault-Timestamp"), Encoding.UTF8.GetString(result.Body.Span));
    }
}
