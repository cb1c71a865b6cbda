using System.Globalization;
using System.Threading.RateLimiting;
using DeepImagine.ServiceDefaults;
using Microsoft.AspNetCore.RateLimiting;
using Yarp.ReverseProxy.Forwarder;

namespace DeepImagine.Gateway;

/// <summary>Per-client token bucket at the gateway (section <c>RateLimiting</c>); a client is its API key, else its address.</summary>
public sealed class GatewayRateLimitOptions
{
    public const string SectionName = "RateLimiting";
    /// <summary>Requests a client may send at once (the bucket's size).</summary>
    public int TokenLimit { get; set; } = 200;
    /// <summary>Requests added back per period.</summary>
    public int TokensPerPeriod { get; set; } = 100;
    public double ReplenishmentSeconds { get; set; } = 1;
}

/// <summary>
/// What the gateway enforces before anything reaches a service: per-key rate limiting (429 with Retry-After) and an
/// API key on every write method of every route (401), so a service added behind the gateway is covered without
/// configuration. The services check the key again (defence in depth, and for callers inside the network).
/// </summary>
public static class GatewayEdge
{
    private static readonly HashSet<string> WriteMethods = new(StringComparer.OrdinalIgnoreCase) { "POST", "PUT", "PATCH", "DELETE" };

    public static WebApplicationBuilder AddGatewayEdge(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection(GatewayRateLimitOptions.SectionName).Get<GatewayRateLimitOptions>() ?? new GatewayRateLimitOptions();
        var keys = ApiKeys.Configured(builder.Configuration);
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Health probes are never limited: an orchestrator must always be able to ask.
                if (context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/alive"))
                    return RateLimitPartition.GetNoLimiter("health");
                // Only a valid key gets its own bucket; anything else shares its address's, so inventing keys buys nothing.
                string presented = context.Request.Headers[ApiKeys.HeaderName].ToString();
                var client = ApiKeys.IsValid(keys, presented) ? "key:" + presented : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.TokenLimit,
                    TokensPerPeriod = limits.TokensPerPeriod,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(limits.ReplenishmentSeconds),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(limits.ReplenishmentSeconds);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = $"retry after {context.Response.Headers.RetryAfter} s" },
                });
            };
        });
        return builder;
    }

    public static WebApplication UseGatewayEdge(this WebApplication app)
    {
        app.UseRateLimiter();
        var keys = ApiKeys.Configured(app.Configuration);
        app.Use(async (context, next) =>
        {
            if (WriteMethods.Contains(context.Request.Method) && !ApiKeys.IsValid(keys, context.Request.Headers[ApiKeys.HeaderName]))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "API key required", Detail = $"send a valid key in the {ApiKeys.HeaderName} header" },
                });
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>
    /// YARP's own pipeline plus one step: a body that outgrows the gateway's limit while being forwarded (no
    /// Content-Length) is a client error YARP reports as 400; it is answered 413 like a declared oversized body.
    /// </summary>
    public static void ForwardWithLimits(IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            await next();
            var error = context.GetForwarderErrorFeature();
            if (error is not null && !context.Response.HasStarted && IsTooLarge(error.Exception))
                await RequestLimits.WriteTooLargeAsync(context, RequestLimits.MaxBodyBytes(context.RequestServices.GetRequiredService<IConfiguration>()));
        });
        proxy.UseSessionAffinity();
        proxy.UseLoadBalancing();
        proxy.UsePassiveHealthChecks();
    }

    private static bool IsTooLarge(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) return true;
        }
        return false;
    }
}
