using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;

namespace DeepImagine.GpuLearner.Grpo;

/// <summary>Where a generated group's token ids and sampler log-probs come from (rollout-generator; a fake in tests).</summary>
public interface IRolloutSource
{
    /// <summary>The group, or null when rollout-generator does not have it.</summary>
    Task<RolloutGroupView?> GroupAsync(Guid groupId, CancellationToken cancellationToken);
}

/// <summary>rollout-generator's <c>GET /api/rollouts/{groupId}</c> (<c>GpuLearner:RolloutGenerator</c>).</summary>
public sealed class RolloutGeneratorClient(HttpClient http) : IRolloutSource
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<RolloutGroupView?> GroupAsync(Guid groupId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/rollouts/{groupId}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<RolloutGroupView>(Json, cancellationToken);
    }
}
