using DeepImagine.Persistence;
using DeepImagine.ServiceDefaults;
using DeepImagine.TraceGenerator.Api;
using DeepImagine.TraceGenerator.Consuming;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.PairMiner;
using DeepImagine.TraceGenerator.Sources;
using DeepImagine.TraceGenerator.Teaching;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.TraceGenerator;

/// <summary>All of trace-generator's wiring: its schema, pair-miner's read API, the teachers, the bus, the datasets API.</summary>
public static class ApplicationServiceExtensions
{
    public const string Schema = "trace_generator";

    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddServiceDatabase(configuration, Schema, typeof(ApplicationServiceExtensions).Assembly);
        services.AddSingleton<DatasetRepository>();
        services.AddSingleton<PromptRepository>();
        services.AddHealthChecks().AddNpgSql(configuration.GetDeepImagineConnectionString(), name: "postgresql");

        var options = configuration.GetSection(TraceGenerationOptions.SectionName).Get<TraceGenerationOptions>() ?? new TraceGenerationOptions();
        options.ExternalTeacher.Validate();
        services.AddSingleton(options);
        services.AddSingleton(options.ExternalTeacher);

        var pairMinerAddress = configuration[PairMinerClient.ConfigurationKey] ?? PairMinerClient.DefaultAddress;
        if (!Uri.TryCreate(pairMinerAddress.EndsWith('/') ? pairMinerAddress : pairMinerAddress + "/", UriKind.Absolute, out var pairMiner))
            throw new InvalidOperationException($"{PairMinerClient.ConfigurationKey} '{pairMinerAddress}' is not an absolute URL");
        services.AddHttpClient<IPairMinerReader, PairMinerClient>(http => http.BaseAddress = pairMiner);

        if (options.ExternalTeacher.Enabled)
        {
            services.AddSingleton(_ => ExternalTeacher.CreateChatClient(options.ExternalTeacher));
            services.AddSingleton<ExternalTeacher>();
        }
        services.AddScoped<ExampleGeneration>();
        services.AddScoped<DatasetBackfill>();
        if (options.Backfill) services.AddHostedService<DatasetBackfillService>();
        services.AddSingleton<EvidenceInferenceSource>();

        builder.AddMessageBus(bus => bus.AddConsumer<PairsMinedConsumer>(typeof(PairsMinedConsumerDefinition)));
        services.AddProblemDetails();
        services.AddOpenApi("trace-generator");
        return builder;
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapDatasetEndpoints();
        app.MapSourceEndpoints();
        app.MapPromptEndpoints();
        return app;
    }
}
