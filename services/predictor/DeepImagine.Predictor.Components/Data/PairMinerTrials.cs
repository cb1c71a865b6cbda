using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Data;

/// <summary>pair-miner's read API (<c>GET /api/trials/{id}</c>): the predictor learns trials only through it, never from pair-miner's tables.</summary>
public sealed class PairMinerTrials(HttpClient http)
{
    public const string ConfigurationKey = "Services:PairMiner";
    public const string DefaultAddress = "http://127.0.0.1:5101";

    // The part of pair-miner's TrialResource that is read here; the trial is the domain record in TrialJson's form.
    private sealed record TrialResourceDto(string TrialId, int Version, Trial Trial);

    /// <summary>The newest stored version of a trial, or null when pair-miner has none.</summary>
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
