using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.ServiceDefaults;

/// <summary>
/// API keys for every write endpoint, sent as header <c>X-Api-Key</c>. Keys come from configuration section
/// <c>ApiKeys</c> (env <c>ApiKeys__0</c>, <c>ApiKeys__1</c>, …), the same for the gateway and every service; where none
/// is configured, the one local development key applies, so a fresh `make run` works and prints it.
/// </summary>
public static class ApiKeys
{
    public const string HeaderName = "X-Api-Key";
    public const string SectionName = "ApiKeys";

    /// <summary>The local development key: used only when no key is configured. Deployments set their own.</summary>
    public const string LocalDevelopmentKey = "deepimagine-local-dev-key";

    public static IReadOnlyList<string> Configured(IConfiguration configuration)
    {
        var keys = configuration.GetSection(SectionName).Get<string[]>()?.Where(k => !string.IsNullOrWhiteSpace(k)).ToArray() ?? [];
        return keys.Length > 0 ? keys : [LocalDevelopmentKey];
    }

    public static bool IsValid(IReadOnlyList<string> keys, string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        var given = Encoding.UTF8.GetBytes(presented);
        // Constant-time comparison, so a caller cannot learn a key byte by byte from response times.
        return keys.Any(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k), given));
    }

    /// <summary>Requires a valid <c>X-Api-Key</c> on the endpoint(s): 401 problem details without one.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var keys = Configured(http.RequestServices.GetRequiredService<IConfiguration>());
            if (!IsValid(keys, http.Request.Headers[HeaderName]))
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required",
                    detail: $"send a valid key in the {HeaderName} header");
            return await next(context);
        });
}
