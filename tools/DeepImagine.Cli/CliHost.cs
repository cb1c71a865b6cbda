using System.Net.Sockets;
using DeepImagine.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepImagine.Cli;

/// <summary>The CLI's configuration (appsettings.json beside the binary, then DEEPIMAGINE_-free env vars as the services read them).</summary>
internal static class CliHost
{
    /// <summary>How long a command waits for the broker before saying it cannot be reached (MassTransit alone retries forever).</summary>
    private static readonly TimeSpan BrokerStartTimeout = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan BrokerProbeTimeout = TimeSpan.FromSeconds(3);

    /// <param name="withPairMinerData">
    /// only for `bench pairs`, which runs pair-miner's own mining code (PairMiningService) in process against pair-miner's schema
    /// </param>
    public static IHost Create(bool withBus, bool withPairMinerData = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Connection retries would print a warning each; the command reports an unreachable broker itself, in one line.
        builder.Logging.AddFilter("MassTransit", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        if (withPairMinerData) DeepImagine.PairMiner.Components.PairMinerApplication.AddPairMinerData(builder.Services, builder.Configuration);
        if (withBus)
        {
            // A command is not a supervised service: a publish that cannot finish fails the command (ReliablePublishing gives
            // up after 5 minutes, and a rerun is idempotent) rather than a watchdog ending it.
            builder.AddMessageBus(watchdog: false);
            builder.Services.Configure<MassTransitHostOptions>(o => o.StartTimeout = BrokerStartTimeout);
        }
        return builder.Build();
    }

    /// <summary>The same settings a host reads (appsettings.json beside the binary, then environment variables), for error messages.</summary>
    public static IConfiguration LoadSettings() => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    /// <summary>
    /// Starts the host and its bus, or throws <see cref="InfrastructureUnreachableException"/> naming the broker's address
    /// within a few seconds: a closed port is found by a plain TCP connect, anything else by the bounded start.
    /// </summary>
    public static async Task StartBusAsync(this IHost host, CancellationToken cancellationToken)
    {
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RabbitMqOptions>>().Value;
        var address = CliErrors.BrokerAddress(host.Configuration());
        const string hint = CliErrors.InfraHint;
        using (var client = new TcpClient())
        using (var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            probe.CancelAfter(BrokerProbeTimeout);
            try
            {
                await client.ConnectAsync(options.Host, options.Port, probe.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var reason = ex is SocketException socket ? socket.Message : $"no answer within {BrokerProbeTimeout.TotalSeconds:0} s";
                throw new InfrastructureUnreachableException($"cannot reach the RabbitMQ broker at {address}: {reason} — {hint}", ex);
            }
        }
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InfrastructureUnreachableException(
                $"the RabbitMQ broker at {address} did not accept the connection within {BrokerStartTimeout.TotalSeconds:0} s ({ex.Message}) — check the user and vhost; {hint}", ex);
        }
    }

    public static IConfiguration Configuration(this IHost host) => host.Services.GetRequiredService<IConfiguration>();

    public static IBus Bus(this IHost host) => host.Services.GetRequiredService<IBus>();
}
