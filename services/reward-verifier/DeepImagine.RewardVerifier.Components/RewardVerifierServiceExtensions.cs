using DeepImagine.Persistence;
using DeepImagine.RewardVerifier.Api;
using DeepImagine.RewardVerifier.Data;
using DeepImagine.RewardVerifier.Prompts;
using DeepImagine.RewardVerifier.Verifying;
using DeepImagine.Rewards;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.RewardVerifier;

/// <summary>All of reward-verifier's wiring: its schema, trace-generator's prompts API, the reward settings, the bus, the rewards API.</summary>
public static class RewardVerifierServiceExtensions
{
    public const string Schema = "reward_verifier";
    public const string OpenApiDocument = "reward-verifier";

    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddServiceDatabase(configuration, Schema, typeof(RewardVerifierServiceExtensions).Assembly);
        services.AddHealthChecks().AddNpgSql(configuration.GetDeepImagineConnectionString(), name: "postgresql");
        services.AddRewardVerification(configuration);
        var address = configuration[TraceGeneratorPrompts.ConfigurationKey] ?? TraceGeneratorPrompts.DefaultAddress;
        if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var traceGenerator))
            throw new InvalidOperationException($"{TraceGeneratorPrompts.ConfigurationKey} '{address}' is not an absolute URL");
        services.AddHttpClient<IPromptSource, TraceGeneratorPrompts>(http => http.BaseAddress = traceGenerator);
        builder.AddMessageBus(bus => bus.AddConsumer<RolloutsGeneratedConsumer>(typeof(RolloutsGeneratedConsumerDefinition)));
        services.AddProblemDetails();
        services.AddOpenApi(OpenApiDocument);
        return builder;
    }

    /// <summary>The verification logic without host, bus or prompt source (a test host adds its own).</summary>
    public static IServiceCollection AddRewardVerification(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = (configuration.GetSection(RewardSettings.SectionName).Get<RewardSettings>() ?? new RewardSettings()).Validate();
        services.AddSingleton(settings);
        services.AddSingleton<PromptCache>();
        services.AddSingleton<RewardRepository>();
        services.AddScoped<GroupVerification>();
        return services;
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapRewardEndpoints();
        return app;
    }
}
