using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.PairMiner;

/// <summary>A pair as pair-miner's read API serves it (<see cref="PairRecord"/>), mapped back to the domain pair.</summary>
public sealed record MinedPair(long Id, CounterfactualPair Pair);

/// <summary>What trace-generator reads from pair-miner: pairs and trials, through its HTTP API only (never its tables).</summary>
public interface IPairMinerReader
{
    /// <summary>Exactly the named pairs (as <c>PairsMined.NewPairIds</c> names them), in id order; ids pair-miner no longer has are left out.</summary>
    Task<IReadOnlyList<MinedPair>> GetPairsAsync(IReadOnlyList<long> pairIds, CancellationToken cancellationToken);

    /// <summary>The newest stored version of a trial, or null when pair-miner has none.</summary>
    Task<Trial?> GetTrialAsync(string trialId, CancellationToken cancellationToken);

    /// <summary>A page of stored trial ids after <paramref name="after"/> (null: from the first), in ordinal order.</summary>
    Task<TrialIdPage> GetTrialIdsAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>The ids of every pair that involves a trial (either side), in id order.</summary>
    Task<IReadOnlyList<long>> GetTrialPairIdsAsync(string trialId, CancellationToken cancellationToken);
}

/// <summary>pair-miner's read API over HTTP; its base address is <c>Services:PairMiner</c>.</summary>
public sealed class PairMinerClient(HttpClient http) : IPairMinerReader
{
    public const string ConfigurationKey = "Services:PairMiner";
    public const string DefaultAddress = "http://127.0.0.1:5101";

    /// <summary>Ids per <c>GET /api/pairs?ids=</c>: well under pair-miner's limit (5000) and a URL's usual length limits.</summary>
    public const int IdsPerRequest = 500;

    // The part of pair-miner's TrialResource that is read here; the trial is the domain record in TrialJson's form.
    private sealed record TrialResourceDto(string TrialId, int Version, Trial Trial);

    public async Task<IReadOnlyList<MinedPair>> GetPairsAsync(IReadOnlyList<long> pairIds, CancellationToken cancellationToken)
    {
        var pairs = new List<MinedPair>(pairIds.Count);
        foreach (var chunk in pairIds.Distinct().Order().Chunk(IdsPerRequest))
        {
            var path = $"api/pairs?ids={string.Join(',', chunk)}";
            var page = await http.GetFromJsonAsync<PairPage>(path, ContractJson.Options, cancellationToken)
                ?? throw new JsonException($"pair-miner answered GET {path} with no body");
            pairs.AddRange(page.Pairs.Select(PairRecordToDomain.ToMinedPair));
        }
        return pairs;
    }

    public async Task<TrialIdPage> GetTrialIdsAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        var path = $"api/trials?limit={limit}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
        return await http.GetFromJsonAsync<TrialIdPage>(path, ContractJson.Options, cancellationToken)
            ?? throw new JsonException($"pair-miner answered GET {path} with no body");
    }

    public async Task<IReadOnlyList<long>> GetTrialPairIdsAsync(string trialId, CancellationToken cancellationToken)
    {
        var path = $"api/trials/{Uri.EscapeDataString(trialId)}/pairs";
        var pairs = await http.GetFromJsonAsync<List<PairRecord>>(path, ContractJson.Options, cancellationToken)
            ?? throw new JsonException($"pair-miner answered GET {path} with no body");
        return pairs.Select(p => p.Id).Order().ToList();
    }

    public async Task<Trial?> GetTrialAsync(string trialId, CancellationToken cancellationToken)
    {
        var path = $"api/trials/{Uri.EscapeDataString(trialId)}";
        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var resource = await response.Content.ReadFromJsonAsync<TrialResourceDto>(TrialJson.Options, cancellationToken)
            ?? throw new JsonException($"pair-miner answered GET {path} with no body");
        return resource.Trial;
    }
}
