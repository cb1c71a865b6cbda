using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using Microsoft.Extensions.Caching.Memory;

namespace DeepImagine.RewardVerifier.Prompts;

/// <summary>Where the gold answers come from: trace-generator's prompts, through its API only (never its tables).</summary>
public interface IPromptSource
{
    /// <summary>The prompt with its gold answer, or null when trace-generator has no such prompt.</summary>
    Task<VerifiablePromptRecord?> GetAsync(Guid promptId, CancellationToken cancellationToken);
}

/// <summary>
/// Prompts already read, kept in memory: a prompt is immutable once stored (its id is a hash of what it is about), and a
/// GRPO job asks about the same prompts batch after batch. Bounded by <see cref="Capacity"/> entries.
/// </summary>
public sealed class PromptCache : IDisposable
{
    public const int Capacity = 50_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public bool TryGet(Guid promptId, out VerifiablePromptRecord? prompt) => _cache.TryGetValue(promptId, out prompt);

    public void Add(VerifiablePromptRecord prompt) => _cache.Set(prompt.PromptId, prompt, new MemoryCacheEntryOptions { Size = 1 });

    public void Dispose() => _cache.Dispose();
}

/// <summary>trace-generator's <c>GET /api/prompts/{id}</c>; its base address is <c>Services:TraceGenerator</c>.</summary>
public sealed class TraceGeneratorPrompts(HttpClient http, PromptCache cache) : IPromptSource
{
    public const string ConfigurationKey = "Services:TraceGenerator";
    public const string DefaultAddress = "http://127.0.0.1:5102";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<VerifiablePromptRecord?> GetAsync(Guid promptId, CancellationToken cancellationToken)
    {
        if (cache.TryGet(promptId, out var cached)) return cached;
        var path = $"api/prompts/{promptId}";
        using var response = await http.GetAsync(path, cancellationToken);
        // Unknown prompts are not cached: the dataset may still be filling.
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var prompt = await response.Content.ReadFromJsonAsync<VerifiablePromptRecord>(Json, cancellationToken)
            ?? throw new JsonException($"trace-generator answered GET {path} with no body");
        if (prompt.PromptId != promptId) throw new JsonException($"trace-generator answered GET {path} with prompt {prompt.PromptId}");
        cache.Add(prompt);
        return prompt;
    }
}
