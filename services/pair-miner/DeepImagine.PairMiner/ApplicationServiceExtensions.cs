using DeepImagine.PairMiner.Api;
using DeepImagine.PairMiner.Ingestion;
using DeepImagine.PairMiner.Mining;
using DeepImagine.ServiceDefaults;
using DeepImagine.Storage;

namespace DeepImagine.PairMiner;

/// <summary>All of pair-miner's wiring: storage, the bus with its consumers, the trials HTTP API.</summary>
public static class ApplicationServiceExtensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddDeepImagineStorage(builder.Configuration);
        builder.Services.AddSingleton(builder.Configuration.GetSection(PairMiningOptions.SectionName).Get<PairMiningOptions>() ?? new PairMiningOptions());
        builder.Services.AddSingleton<PairMiningService>();
        builder.Services.AddHealthChecks().AddNpgSql(builder.Configuration.GetDeepImagineConnectionString(), name: "postgresql");
        builder.AddMessageBus(bus =>
        {
            bus.AddConsumer<TrialPublishedConsumer>(typeof(TrialPublishedConsumerDefinition));
            bus.AddConsumer<TrialStoredConsumer>(typeof(TrialStoredConsumerDefinition));
        });
        builder.Services.AddProblemDetails();
        // The API speaks the same JSON as storage and exports (enums as names).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.Services.AddOpenApi("trials");
        return builder;
    }

    /// <summary>pair-miner owns the trials schema, so it applies the migrations before it consumes anything.</summary>
    public static WebApplication MigrateDatabase(this WebApplication app)
    {
        DatabaseMigrator.Migrate(app.Configuration.GetDeepImagineConnectionString(), app.Logger);
        return app;
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapTrialEndpoints();
        return app;
    }
}
