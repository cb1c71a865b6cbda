using DeepImagine.GpuLearner.Api;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.GpuLearner.Grpo;
using DeepImagine.GpuLearner.Jobs;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Training;
using DeepImagine.Persistence;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.GpuLearner;

/// <summary>All of gpu-learner's wiring: registry schema, model store, datasets client, bus consumer, job runner, HTTP API.</summary>
public static class GpuLearnerServiceExtensions
{
    public const string Schema = "gpu_learner";
    public const string OpenApiDocument = "gpu-learner";

    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LearnerOptions.SectionName).Get<LearnerOptions>() ?? new LearnerOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddServiceDatabase(builder.Configuration, Schema, typeof(GpuLearnerServiceExtensions).Assembly);
        builder.Services.AddHealthChecks().AddNpgSql(builder.Configuration.GetDeepImagineConnectionString(), name: "postgresql");
        builder.Services.AddSingleton(new ModelStore(options.ResolvedModelStore()));
        builder.Services.AddHttpClient<IDatasetSource, TraceGeneratorDatasets>(http =>
        {
            http.BaseAddress = new Uri(options.TraceGenerator.TrimEnd('/') + "/");
            http.Timeout = TimeSpan.FromMinutes(5);
        });
        builder.Services.AddHttpClient<IRolloutSource, RolloutGeneratorClient>(http =>
        {
            http.BaseAddress = new Uri(options.RolloutGenerator.TrimEnd('/') + "/");
            http.Timeout = TimeSpan.FromMinutes(2);
        });
        builder.Services.AddSingleton<IRewardInbox, PostgresRewardInbox>();
        builder.Services.AddTransient<GrpoExecutor>();
        builder.Services.AddSingleton<JobRepository>();
        builder.Services.AddSingleton<JobSignal>();
        builder.Services.AddTransient<JobValidator>();
        builder.Services.AddTransient<TrainingExecutor>();
        builder.Services.AddHostedService<JobRunner>();
        builder.AddMessageBus(bus =>
        {
            bus.AddConsumer<SubmitTrainingJobConsumer>(typeof(SubmitTrainingJobConsumerDefinition));
            bus.AddConsumer<RewardsVerifiedConsumer>(typeof(RewardsVerifiedConsumerDefinition));
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(OpenApiDocument);
        return builder;
    }


    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapJobEndpoints();
        return app;
    }
}
