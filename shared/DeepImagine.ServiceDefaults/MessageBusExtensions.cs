using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DeepImagine.ServiceDefaults;

/// <summary>
/// RabbitMQ connection settings, section <c>RabbitMq</c> (env <c>RabbitMq__Host</c>, …). Defaults match infra/local.
/// Bound when the bus starts (not when it is registered), so a test host's configuration overrides them.
/// </summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "RabbitMq";
    [System.ComponentModel.DataAnnotations.Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "127.0.0.1";
    [System.ComponentModel.DataAnnotations.Range(1, 65535)]
    public ushort Port { get; set; } = 5672;
    [System.ComponentModel.DataAnnotations.Required(AllowEmptyStrings = false)]
    public string VirtualHost { get; set; } = "deepimagine";
    [System.ComponentModel.DataAnnotations.Required(AllowEmptyStrings = false)]
    public string Username { get; set; } = "deepimagine";
    public string Password { get; set; } = "deepimagine";
    /// <summary>Messages fetched ahead per consumer endpoint.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 65535)]
    public ushort PrefetchCount { get; set; } = 32;
}

public static class MessageBusExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ from configuration. Consumers registered by <paramref name="configureConsumers"/> get
    /// their endpoints (kebab-case queue names) with the retry set in their definitions; a message that still fails
    /// moves to the queue's <c>_error</c> queue with the exception in its headers, so nothing is dropped.
    /// A service's bus gets a <see cref="BusWatchdog"/> (<paramref name="watchdog"/>): a wedged bus ends the process for
    /// its supervisor to restart. A host that is not a supervised service (a test's publisher) goes without.
    /// </summary>
    public static TBuilder AddMessageBus<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? configureConsumers = null,
        bool watchdog = true)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<BusWatchdogOptions>().BindConfiguration(RabbitMqOptions.SectionName);
        builder.Services.AddSingleton<BusActivity>();
        if (watchdog) builder.Services.AddHostedService<BusWatchdog>();
        builder.Services.AddMassTransit(bus =>
        {
            // MassTransit would otherwise report usage to its vendor over the internet; deployments here have no internet.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(options.Host, options.Port, options.VirtualHost, h =>
                {
                    h.Username(options.Username);
                    h.Password(options.Password);
                });
                rabbit.PrefetchCount = options.PrefetchCount;
                var activity = context.GetRequiredService<BusActivity>();
                rabbit.ConnectReceiveObserver(activity);
                rabbit.ConnectPublishObserver(activity);
                rabbit.ConnectSendObserver(activity);
                rabbit.ConfigureEndpoints(context);
            });
        });
        // Services start consuming only when the bus is up, and stop cleanly.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    /// <summary>
    /// The one retry policy for transient faults (database, broker, a peer's API): 0.1 s, 0.5 s, 2 s, 5 s, then the
    /// message moves to the queue's <c>_error</c> queue. <paramref name="configure"/> names what is never retried.
    /// </summary>
    public static void UseTransientRetry(this IReceiveEndpointConfigurator endpoint, Action<IRetryConfigurator>? configure = null) =>
        endpoint.UseMessageRetry(retry =>
        {
            configure?.Invoke(retry);
            retry.Intervals(100, 500, 2000, 5000);
        });
}
