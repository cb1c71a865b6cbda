using System.Text.Json.Serialization;
using DeepImagine.PairMiner.Components.Api;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Ingestion;
using DeepImagine.PairMiner.Components.Mining;
using DeepImagine.Persistence;
using DeepImagine.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DeepImagine.PairMiner.Components;

/// <summary>All of pair-miner's wiring: its schema, the bus with its consumers, the trials and pairs HTTP API.</summary>
public static class PairMinerApplication
{
    /// <summary>pair-miner's PostgreSQL schema: only pair-miner's code names its tables.</summary>
    public const string Schema = "pair_miner";

    public static TBuilder AddApplicationServices<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddPairMinerData(builder.Configuration);
        builder.Services.AddHealthChecks().AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgresql");
        builder.AddMessageBus(bus => bus.AddPairMinerConsumers());
        builder.Services.AddProblemDetails();
        // The API speaks the contracts' JSON (camelCase, enums as names).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddOpenApi("trials");
        return builder;
    }

    /// <summary>
    /// pair-miner's data and mining logic without a bus or web host: its schema's data source, the repositories, the
    /// validated options and <see cref="PairMiningService"/> (also what `deepimagine bench pairs` runs in process).
    /// </summary>
    public static IServiceCollection AddPairMinerData(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddServiceDatabase(configuration, Schema, typeof(PairMinerApplication).Assembly);
        services.AddSingleton<TrialRepository>();
        services.AddSingleton<ITrialStore>(sp => sp.GetRequiredService<TrialRepository>());
        services.AddSingleton<PairRepository>();
        services.AddSingleton<IPairStore>(sp => sp.GetRequiredService<PairRepository>());
        services.AddPairMining();
        return services;
    }

    /// <summary>The mining service and its options (section <c>PairMining</c>, validated when the host starts).</summary>
    public static IServiceCollection AddPairMining(this IServiceCollection services)
    {
        services.AddOptions<PairMiningOptions>().BindConfiguration(PairMiningOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PairMiningService>();
        return services;
    }

    /// <summary>pair-miner's consumers with their definitions (queues, retry, concurrency); the service and the harness tests register these.</summary>
    public static IBusRegistrationConfigurator AddPairMinerConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TrialPublishedConsumer>(typeof(TrialPublishedConsumerDefinition));
        bus.AddConsumer<TrialStoredConsumer>(typeof(TrialStoredConsumerDefinition));
        bus.AddConsumer<RemineTrialsConsumer>(typeof(RemineTrialsConsumerDefinition));
        bus.AddConsumer<DeleteSyntheticSourceConsumer>(typeof(DeleteSyntheticSourceConsumerDefinition));
        return bus;
    }


    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapTrialEndpoints();
        app.MapPairEndpoints();
        return app;
    }
}
