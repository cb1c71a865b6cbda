using DeepImagine.Model.Store;
using DeepImagine.Persistence;
using DeepImagine.Predictor.Api;
using DeepImagine.Predictor.Consuming;
using DeepImagine.Predictor.Data;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Jobs;
using DeepImagine.Predictor.Operators;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepImagine.Predictor;

/// <summary>All of the predictor's wiring: its schema, pair-miner's read API, the operators, the engine, the bus, jobs, the API.</summary>
public static class ApplicationServiceExtensions
{
    public const string Schema = "predictor";
    public const string OpenApiDocument = "predictor";

    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var options = configuration.GetSection(PredictorOptions.SectionName).Get<PredictorOptions>() ?? new PredictorOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddServiceDatabase(configuration, Schema, typeof(ApplicationServiceExtensions).Assembly);
        services.AddHealthChecks().AddNpgSql(configuration.GetDeepImagineConnectionString(), name: "postgresql");
        services.AddSingleton<KnowledgeRepository>();
        services.AddSingleton<IAnchorSource>(sp => sp.GetRequiredService<KnowledgeRepository>());
        services.AddSingleton<PredictionRepository>();
        services.AddSingleton(sp =>
        {
            // torch's intra-op threads are process-wide: each concurrent step batch gets its share of the cores.
            TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / options.InferenceWorkers));
            return new OperatorRegistry(new ModelStore(options.ResolvedModelStore()), options.BaseModel, sp.GetRequiredService<ILogger<OperatorRegistry>>(),
                options.MaxBatchRows, options.InferenceWorkers);
        });
        services.AddSingleton<PredictionEngine>();
        services.AddSingleton<JobSignal>();
        services.AddHostedService<PredictionJobWorker>();

        var pairMinerAddress = configuration[PairMinerTrials.ConfigurationKey] ?? PairMinerTrials.DefaultAddress;
        if (!Uri.TryCreate(pairMinerAddress.EndsWith('/') ? pairMinerAddress : pairMinerAddress + "/", UriKind.Absolute, out var pairMiner))
            throw new InvalidOperationException($"{PairMinerTrials.ConfigurationKey} '{pairMinerAddress}' is not an absolute URL");
        services.AddHttpClient<PairMinerTrials>(http => http.BaseAddress = pairMiner);

        builder.AddMessageBus(bus =>
        {
            bus.AddConsumer<TrialStoredConsumer>(typeof(TrialStoredConsumerDefinition));
            bus.AddConsumer<CheckpointPublishedConsumer>(typeof(CheckpointPublishedConsumerDefinition));
        });
        services.AddProblemDetails();
        services.AddOpenApi(OpenApiDocument);
        return builder;
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapPredictionEndpoints();
        // Load the operators at start-up, in the background: the first prediction need not wait for the weights.
        _ = app.Services.GetRequiredService<OperatorRegistry>().ReloadAsync(CancellationToken.None);
        return app;
    }
}
