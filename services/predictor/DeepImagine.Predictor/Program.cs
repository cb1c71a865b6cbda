using DeepImagine.Persistence;
using DeepImagine.Predictor;
using DeepImagine.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MigrateServiceDatabase();
app.MapDefaultEndpoints();
app.MapApplicationEndpoints();
app.Run();

/// <summary>Entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
