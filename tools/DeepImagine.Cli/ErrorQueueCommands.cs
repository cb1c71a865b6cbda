using System.CommandLine;
using DeepImagine.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine errors list|replay</c>: the _error queues, their messages with the reason, and replay after a fix.</summary>
internal static class ErrorQueueCommands
{
    public static Command Build()
    {
        var errors = new Command("errors", "Messages that failed after their retries (the _error queues): list them with the reason, replay them after a fix.");
        var queue = new Option<string?>("--queue") { Description = "one error queue, e.g. pair-miner-trial-published_error (default: every error queue)" };
        var max = new Option<int>("--max") { Description = "messages per queue", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "Error queues with their message counts, and each message's record id and reason (nothing is taken off).") { queue, max };
        list.SetAction(async (result, cancellationToken) =>
        {
            var errorQueues = Create();
            foreach (var name in await QueueNamesAsync(errorQueues, result.GetValue(queue), cancellationToken))
            {
                var messages = await errorQueues.PeekAsync(name, Positive(result.GetValue(max)), cancellationToken);
                Console.WriteLine($"queue={name} shown={messages.Count}");
                foreach (var m in messages)
                    Console.WriteLine($"  message={m.MessageId} record={m.RecordId ?? "-"} faulted_at={m.FaultedAt ?? "-"} {m.ExceptionType}: {m.Reason.ReplaceLineEndings(" ")}");
            }
            return 0;
        });
        var replayMax = new Option<int>("--max") { Description = "messages per queue", DefaultValueFactory = _ => int.MaxValue };
        var match = new Option<string?>("--match") { Description = "replay only messages whose body contains this text (e.g. a record id)" };
        var replay = new Command("replay", "Move error messages back to their original queue (publisher confirms; removed from _error only once the broker has them).") { queue, replayMax, match };
        replay.SetAction(async (result, cancellationToken) =>
        {
            var errorQueues = Create();
            var total = 0;
            foreach (var name in await QueueNamesAsync(errorQueues, result.GetValue(queue), cancellationToken))
            {
                var replayed = await errorQueues.ReplayAsync(name, Positive(result.GetValue(replayMax)), result.GetValue(match), cancellationToken);
                Console.WriteLine($"queue={name} replayed={replayed.Count} to={name[..^ErrorQueues.Suffix.Length]}");
                total += replayed.Count;
            }
            Console.WriteLine($"replayed={total}");
            return 0;
        });
        errors.Subcommands.Add(list);
        errors.Subcommands.Add(replay);
        return errors;
    }

    private static ErrorQueues Create()
    {
        using var host = CliHost.Create(withBus: false);
        var configuration = host.Configuration();
        var options = configuration.GetSection(RabbitMqOptions.SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        return new ErrorQueues(options, ErrorQueues.DefaultManagementApi(options, configuration.GetValue<int?>($"{RabbitMqOptions.SectionName}:ManagementPort")));
    }

    private static async Task<IReadOnlyList<string>> QueueNamesAsync(ErrorQueues errorQueues, string? queue, CancellationToken cancellationToken)
    {
        var all = await errorQueues.QueuesAsync(cancellationToken);
        if (queue is null) return all.Select(q => q.Queue).ToList();
        if (!all.Any(q => q.Queue == queue))
            throw new ArgumentException($"--queue: '{queue}' is not an error queue of this virtual host; 'deepimagine errors list' shows them");
        return [queue];
    }

    private static int Positive(int value) =>
        value > 0 ? value : throw new ArgumentException($"--max: {value} is not a positive number of messages");
}
