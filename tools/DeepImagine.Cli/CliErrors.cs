using System.Net.Sockets;
using System.Text.Json;
using DeepImagine.ServiceDefaults;
using DeepImagine.Persistence;
using DeepImagine.Trials;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace DeepImagine.Cli;

/// <summary>The CLI's exit codes (README's CLI section lists them).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A genuine bug: the message and the stack trace are printed.</summary>
    public const int Bug = 1;
    /// <summary>A user's mistake: bad arguments, a missing or unreadable path, an unsupported or invalid file.</summary>
    public const int Usage = 2;
    /// <summary>RabbitMQ, PostgreSQL or the services cannot be reached (or did not answer in time).</summary>
    public const int InfrastructureUnreachable = 3;
}

/// <summary>RabbitMQ, PostgreSQL or the services could not be reached; the message names the address and what to do.</summary>
internal sealed class InfrastructureUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns an exception that ends a command into one line, <c>deepimagine: &lt;what&gt; — &lt;what to do&gt;</c>, and an exit
/// code. Commands throw the ordinary exception types for a user's mistake (see <see cref="Classify"/>); a message that
/// already contains " — " keeps its own hint, others get one by type.
/// </summary>
internal static class CliErrors
{
    public const string InfraHint = "start it with 'make infra-up' (check with 'make doctor')";
    public const string ServicesHint = "are the services running? 'make services-up' starts them, 'make services-status' shows them";

    public static int Report(Exception exception, TextWriter error, bool verbose, string commandPath, IConfiguration settings)
    {
        exception = Unwrap(exception);
        var (code, line) = Classify(exception, commandPath, settings);
        error.WriteLine($"deepimagine: {line}");
        if (verbose || code == ExitCodes.Bug) error.WriteLine(exception.ToString());
        return code;
    }

    public static (int Code, string Line) Classify(Exception exception, string commandPath, IConfiguration settings)
    {
        var help = $"see '{commandPath} --help'";
        return Unwrap(exception) switch
        {
            InfrastructureUnreachableException e => (ExitCodes.InfrastructureUnreachable, e.Message),
            PostgresException e when IsSetupProblem(e) =>
                (ExitCodes.InfrastructureUnreachable, $"PostgreSQL at {DatabaseAddress(settings)} refused the connection: {e.MessageText} — {InfraHint}"),
            NpgsqlException e when e is not PostgresException =>
                (ExitCodes.InfrastructureUnreachable, $"cannot reach PostgreSQL at {DatabaseAddress(settings)} ({Reason(e)}) — {InfraHint}"),
            MassTransit.RabbitMqConnectionException or RabbitMQ.Client.Exceptions.BrokerUnreachableException =>
                (ExitCodes.InfrastructureUnreachable, $"cannot reach the RabbitMQ broker at {BrokerAddress(settings)} ({Reason(exception)}) — {InfraHint}"),
            System.Net.Http.HttpRequestException e when e.StatusCode is null || (int)e.StatusCode >= 500 =>
                (ExitCodes.InfrastructureUnreachable, $"cannot reach pair-miner's API through the gateway at {PairMinerClient.GatewayUrl(settings)} ({Reason(e)}) — {ServicesHint}"),
            MassTransit.RequestTimeoutException => (ExitCodes.InfrastructureUnreachable,
                $"pair-miner did not answer the command ({exception.Message}) — {ServicesHint}"),
            TimeoutException e => (ExitCodes.InfrastructureUnreachable,
                WithHint(e.Message, ServicesHint)),
            FileNotFoundException or DirectoryNotFoundException => (ExitCodes.Usage, WithHint(exception.Message, "check the path")),
            UnauthorizedAccessException => (ExitCodes.Usage, WithHint(exception.Message, "check the permissions of the path")),
            TrialValidationException => (ExitCodes.Usage, WithHint(exception.Message, "fix the record or leave it out")),
            JsonException e => (ExitCodes.Usage, WithHint($"invalid JSON: {e.Message}", "fix the file at the position given")),
            NotSupportedException or ArgumentException => (ExitCodes.Usage, WithHint(exception.Message, help)),
            _ => (ExitCodes.Bug, $"unexpected error ({exception.GetType().Name}): {exception.Message} — this is a bug; please report it with the details below"),
        };
    }

    public static string DatabaseAddress(IConfiguration settings)
    {
        var connectionString = settings.GetConnectionString(ServiceSchema.ConnectionStringName);
        if (connectionString is null) return "(no ConnectionStrings__deepimagine configured)";
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    public static string BrokerAddress(IConfiguration settings)
    {
        var options = settings.GetSection(RabbitMqOptions.SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        return $"amqp://{options.Host}:{options.Port}/{options.VirtualHost}";
    }

    private static Exception Unwrap(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } e => Unwrap(e.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => exception,
    };

    // Wrong password (class 28) or a database that was never created (3D000): the setup, not the command, is at fault.
    private static bool IsSetupProblem(PostgresException e) => e.SqlState.StartsWith("28", StringComparison.Ordinal) || e.SqlState == "3D000";

    private static string Reason(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket) return socket.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : socket.Message;
        return e.Message;
    }

    private static string WithHint(string message, string hint) => message.Contains(" — ", StringComparison.Ordinal) ? message : $"{message} — {hint}";
}
