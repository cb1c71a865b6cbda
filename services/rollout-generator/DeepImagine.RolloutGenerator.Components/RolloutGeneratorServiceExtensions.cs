using DeepImagine.Model.Store;
using DeepImagine.Persistence;
using DeepImagine.RolloutGenerator.Api;
using DeepImagine.RolloutGenerator.Policies;
using DeepImagine.RolloutGenerator.Rollouts;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.RolloutGenerator;

/// <summary>All of rollout-generator's wiring: its schema, the model store, the policy cache, the bus consumers, the rollouts API.</summary>
public static class RolloutGeneratorServiceExtensions
{
    public const string Schema = "rollout_generator";
    public const string OpenApiDocument = "rollout-generator";

    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RolloutOptions.SectionName).Get<RolloutOptions>() ?? new RolloutOptions();
        options.Validate();
        builder.Services.AddServiceDatabase(builder.Configuration, Schema, typeof(RolloutGeneratorServiceExtensions).Assembly);
        builder.Services.AddHealthChecks().AddNpgSql(builder.Configuration.GetDeepImagineConnectionString(), name: "postgresql");
        builder.Services.AddRolloutGeneration(options);
        builder.AddMessageBus(AddConsumers);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(OpenApiDocument);
        return builder;
    }

    /// <summary>What the consumers need besides the bus and the database (the tests' harness registers the same).</summary>
    public static IServiceCollection AddRolloutGeneration(this IServiceCollection services, RolloutOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(new ModelStore(options.ResolvedModelStore()));
        services.AddSingleton<PolicyCache>();
        services.AddSingleton<RolloutRepository>();
        return services;
    }

    public static void AddConsumers(MassTransit.IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RolloutsRequestedConsumer>(typeof(RolloutsRequestedConsumerDefinition));
        bus.AddConsumer<CheckpointPublishedConsumer>(typeof(CheckpointPublishedConsumerDefinition));
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapRolloutEndpoints();
        return app;
    }
}
