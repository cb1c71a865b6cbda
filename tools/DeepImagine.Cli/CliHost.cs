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
        if (withPairMinerData) DeepImagine.PairMiner.Components.PairMinerApplication.AddPairMinerData(builder.Services, builder.Configuration);
        if (withBus) builder.AddMessageBus();
        return builder.Build();
    }

    public static IConfiguration Configuration(this IHost host) => host.Services.GetRequiredService<IConfiguration>();

    public static IBus Bus(this IHost host) => host.Services.GetRequiredService<IBus>();
}
