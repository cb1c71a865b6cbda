using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using DeepImagine.Contracts.V1;

namespace DeepImagine.Cli;

/// <summary>
/// pair-miner's read API through the gateway (<c>Gateway:Url</c>, default http://127.0.0.1:5100): the CLI learns about
/// trials and pairs only so, never from pair-miner's tables.
/// </summary>
internal sealed class PairMinerClient(HttpClient http) : IDisposable
{
    public const int PageSize = 2000;

    /// <summary>The gateway's address: <c>Gateway:Url</c> (env <c>Gateway__Url</c>), default the local gateway.</summary>
    public static string GatewayUrl(Microsoft.Extensions.Configuration.IConfiguration configuration) => configuration["Gateway:Url"] ?? "http://127.0.0.1:5100";

    public static PairMinerClient Create(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var url = GatewayUrl(configuration);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address))
            throw new ArgumentException($"configuration Gateway:Url '{url}' is not an absolute URL (set Gateway__Url, e.g. http://127.0.0.1:5100)");
        return new PairMinerClient(new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) });
    }

    public async Task<IReadOnlyList<TrialSourceCount>> TrialStatsAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<TrialSourceCount>>("/api/trials/stats", cancellationToken);

    public async Task<IReadOnlyList<PairCount>> PairStatsAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<PairCount>>("/api/pairs/stats", cancellationToken);

    /// <summary>Every pair (optionally of one kind and factor) in id order, a page at a time.</summary>
    public async IAsyncEnumerable<PairRecord> PairsAsync(string? kind, string? factor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long? after = 0;
        while (after is { } cursor)
        {
            var query = $"/api/pairs?after={cursor}&limit={PageSize}"
                        + (kind is null ? "" : $"&kind={Uri.EscapeDataString(kind)}")
                        + (factor is null ? "" : $"&factor={Uri.EscapeDataString(factor)}");
            var page = await GetAsync<PairPage>(query, cancellationToken);
            foreach (var pair in page.Pairs) yield return pair;
            after = page.Next;
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {new Uri(http.BaseAddress!, path)} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken)
               ?? throw new InvalidOperationException($"GET {path} answered an empty body");
    }

    public void Dispose() => http.Dispose();
}
