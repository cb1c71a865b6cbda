using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DeepImagine.ServiceDefaults;

/// <summary>
/// The request-body size limit of every service and the gateway (section <c>RequestLimits</c>, env
/// <c>RequestLimits__MaxBodyBytes</c>), answered <c>413</c> with problem details. Kestrel enforces it while reading
/// (for bodies sent without Content-Length); a declared Content-Length over it is answered before any reading.
/// </summary>
public static class RequestLimits
{
    public const string SectionName = "RequestLimits";

    /// <summary>8 MiB: the largest real study is about 0.35 MB, and a record is at most 8 M characters anyway.</summary>
    public const long DefaultMaxBodyBytes = 8L * 1024 * 1024;

    public static long MaxBodyBytes(IConfiguration configuration) =>
        configuration.GetValue<long?>($"{SectionName}:MaxBodyBytes") ?? DefaultMaxBodyBytes;

    public static TBuilder AddRequestLimits<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var max = MaxBodyBytes(builder.Configuration);
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = max);
        builder.Services.AddProblemDetails();
        // Where a service maps UseExceptionHandler, a body that outgrows the limit while being read reaches it as
        // BadHttpRequestException; this turns it into its own status (413) instead of a 500.
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        return builder;
    }

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app)
    {
        var max = MaxBodyBytes(app.ApplicationServices.GetRequiredService<IConfiguration>());
        return app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > max)
            {
                await WriteTooLargeAsync(context, max);
                return;
            }
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
            {
                await WriteTooLargeAsync(context, max);
            }
        });
    }

    public static async Task WriteTooLargeAsync(HttpContext context, long max)
    {
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Request body too large",
                Detail = $"the body may be at most {max} bytes",
            },
        });
    }

    private sealed class BadRequestExceptionHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad || context.Response.HasStarted) return false;
            if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await WriteTooLargeAsync(context, MaxBodyBytes(context.RequestServices.GetRequiredService<IConfiguration>()));
                return true;
            }
            context.Response.StatusCode = bad.StatusCode;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = bad.StatusCode, Title = "Bad request", Detail = bad.Message },
            });
            return true;
        }
    }
}
