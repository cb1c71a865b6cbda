using DeepImagine.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;

namespace DeepImagine.Gateway;

/// <summary>
/// The gateway is a YARP reverse proxy whose routes and clusters are built at start-up from the one service list
/// (infra/services.tsv): each listed route goes to its service. A backend's address defaults to the list's local port;
/// ops move a service with <c>ReverseProxy__Clusters__&lt;service&gt;__Destinations__primary__Address</c>, no rebuild.
/// </summary>
public static class ApplicationServiceExtensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy().LoadFromMemory([], []);
        builder.AddGatewayEdge();
        return builder;
    }

    /// <summary>Routes and clusters for the services that have routes; <paramref name="configuration"/> may move a backend.</summary>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) ProxyConfig(IReadOnlyList<ServiceEntry> services, IConfiguration configuration)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var service in services.Where(s => s.Routes.Count > 0))
        {
            var address = configuration[$"ReverseProxy:Clusters:{service.Name}:Destinations:primary:Address"] ?? service.LocalUrl;
            clusters.Add(new ClusterConfig
            {
                ClusterId = service.Name,
                Destinations = new Dictionary<string, DestinationConfig> { ["primary"] = new() { Address = address } },
            });
            routes.AddRange(service.Routes.Select(route => new RouteConfig
            {
                RouteId = $"{service.Name}:{route}",
                ClusterId = service.Name,
                Match = new RouteMatch { Path = ServiceList.PathPattern(route) },
            }));
        }
        return (routes, clusters);
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        var services = ServiceList.Load();
        var (routes, clusters) = ProxyConfig(services, app.Configuration);
        app.Services.GetRequiredService<InMemoryConfigProvider>().Update(routes, clusters);
        // A small index so a person at the gateway's root finds the API and its OpenAPI documents.
        app.MapGet("/", () => TypedResults.Ok(new
        {
            service = "DeepImagine gateway",
            routes = services.SelectMany(s => s.Routes.Select(r => $"{r} → {s.Name}")).ToArray(),
            health = new[] { "/health", "/alive" },
        }));
        app.UseGatewayEdge();
        app.MapReverseProxy(GatewayEdge.ForwardWithLimits);
        return app;
    }
}
