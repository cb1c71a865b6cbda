namespace DeepImagine.Gateway;

/// <summary>
/// The gateway is a YARP reverse proxy: routes and backend addresses come from the <c>ReverseProxy</c> configuration
/// section (env <c>ReverseProxy__Clusters__pair-miner__Destinations__primary__Address</c>, …), so ops can move a
/// service without rebuilding anything.
/// </summary>
public static class ApplicationServiceExtensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        builder.AddGatewayEdge();
        return builder;
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        // A small index so a person at the gateway's root finds the API and its OpenAPI documents.
        app.MapGet("/", () => TypedResults.Ok(new
        {
            service = "DeepImagine gateway",
            routes = new[] { "/api/trials", "/api/trials/{id}" },
            openApi = new[] { "/openapi/trials.json" },
            health = new[] { "/health", "/alive" },
        }));
        app.UseGatewayEdge();
        app.MapReverseProxy(GatewayEdge.ForwardWithLimits);
        return app;
    }
}
