using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.PairMiner;

/// <summary>A pair as pair-miner's read API serves it, mapped back to the shared model.</summary>
public sealed record MinedPair(long Id, CounterfactualPair Pair);

/// <summary>What trace-generator reads from pair-miner: pairs and trials, through its HTTP API only (never its tables).</summary>
public interface IPairMinerReader
{
    Task<IReadOnlyList<MinedPair>> GetPairsAsync(string trialId, CancellationToken cancellationToken);

    /// <summary>The newest stored version of a trial, or null when pair-miner has none.</summary>
    Task<Trial?> GetTrialAsync(string trialId, CancellationToken cancellationToken);
}

/// <summary>pair-miner's read API over HTTP; its base address is <c>Services:PairMiner</c>.</summary>
public sealed class PairMinerClient(HttpClient http) : IPairMinerReader
{
    public const string ConfigurationKey = "Services:PairMiner";
    public const string DefaultAddress = "http://127.0.0.1:5101";

    // The wire shape of pair-miner's StoredPair: the sides, comparison and label are the shared records in TrialJson's form.
    private sealed record StoredPairDto(long Id, string Kind, IReadOnlyList<string> Factors, string Relation, double Similarity,
        PairSide A, PairSide B, PairComparison? Comparison, DirectionLabel Label);

    private sealed record TrialResourceDto(string TrialId, int Version, Trial Trial);

    public async Task<IReadOnlyList<MinedPair>> GetPairsAsync(string trialId, CancellationToken cancellationToken)
    {
        var path = $"api/trials/{Uri.EscapeDataString(trialId)}/pairs";
        var pairs = await http.GetFromJsonAsync<List<StoredPairDto>>(path, TrialJson.Options, cancellationToken)
            ?? throw new InvalidOperationException($"pair-miner answered GET {path} with no body");
        return pairs.Select(p => new MinedPair(p.Id, new CounterfactualPair
        {
            Kind = p.Kind,
            Factors = p.Factors,
            Relation = p.Relation,
            A = p.A,
            B = p.B,
            Comparison = p.Comparison,
            Direction = p.Label,
            Similarity = p.Similarity,
        })).ToList();
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
