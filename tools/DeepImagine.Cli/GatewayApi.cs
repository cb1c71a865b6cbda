using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace DeepImagine.Cli;

/// <summary>
/// The services' HTTP API through the gateway (<c>Gateway:Url</c>, default http://127.0.0.1:5100), with the API key
/// of configuration section <c>ApiKeys</c> (env <c>ApiKeys__0</c>; the local development key when none is set).
/// </summary>
internal sealed class GatewayApi : IDisposable
{
    public const string DefaultUrl = "http://127.0.0.1:5100";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public GatewayApi(IConfiguration configuration, TimeSpan? timeout = null)
    {
        var url = configuration["Gateway:Url"] ?? DefaultUrl;
        _http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, ApiKeys.Configured(configuration)[0]);
    }

    public string BaseUrl => _http.BaseAddress!.ToString();

    public async Task<IReadOnlyList<DatasetSummary>> DatasetsAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<DatasetSummary>>("api/datasets", cancellationToken) ?? [];

    public Task<DatasetSummary?> DatasetAsync(Guid id, CancellationToken cancellationToken) => GetAsync<DatasetSummary>($"api/datasets/{id}", cancellationToken);

    public async Task<JobView> SubmitAsync(SubmitJobRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/jobs", request, Json, cancellationToken);
        await ThrowOnUserErrorAsync(response, "job", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<JobView>(Json, cancellationToken))!;
    }

    public Task<JobView?> JobAsync(Guid id, CancellationToken cancellationToken) => GetAsync<JobView>($"api/jobs/{id}", cancellationToken);

    public async Task<IReadOnlyList<JobView>> JobsAsync(int limit, CancellationToken cancellationToken) =>
        await GetAsync<List<JobView>>($"api/jobs?limit={limit}", cancellationToken) ?? [];

    public async Task<JobView> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync($"api/jobs/{id}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) throw new ArgumentException($"job {id} does not exist (see ./deepimagine jobs list)");
        await ThrowOnUserErrorAsync(response, $"job {id}", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<JobView>(Json, cancellationToken))!;
    }

    public async Task<IReadOnlyList<JobMetricPoint>> MetricsAsync(Guid id, CancellationToken cancellationToken) =>
        await GetAsync<List<JobMetricPoint>>($"api/jobs/{id}/metrics", cancellationToken) ?? [];

    public async Task<IReadOnlyList<ModelVersionView>> ModelsAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<ModelVersionView>>("api/models", cancellationToken) ?? [];

    /// <summary>POSTs a JSON body to a predictor route; a 4xx is the user's mistake (its problem detail is the message).</summary>
    public async Task<System.Text.Json.Nodes.JsonNode> PostJsonAsync(string path, System.Text.Json.Nodes.JsonNode body, string what, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(path, content, cancellationToken);
        await ThrowOnUserErrorAsync(response, what, cancellationToken);
        return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
    }

    public async Task<ModelVersionView> RegisterModelAsync(RegisterModelRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/models", request, Json, cancellationToken);
        await ThrowOnUserErrorAsync(response, "model", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ModelVersionView>(Json, cancellationToken))!;
    }

    public async Task<EvidenceInferenceImportResult> ImportEvidenceQuestionsAsync(EvidenceInferenceImportRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/sources/evidence-inference", request, Json, cancellationToken);
        await ThrowOnUserErrorAsync(response, "Evidence Inference questions", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<EvidenceInferenceImportResult>(Json, cancellationToken))!;
    }

    public async Task<EvidenceArticleImportResult> ImportEvidenceArticlesAsync(EvidenceArticleImportRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("api/sources/evidence-inference/articles", request, Json, cancellationToken);
        await ThrowOnUserErrorAsync(response, "Evidence Inference articles", cancellationToken);
        return (await response.Content.ReadFromJsonAsync<EvidenceArticleImportResult>(Json, cancellationToken))!;
    }

    private async Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken) where T : class
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
    }

    /// <summary>400 and 401 are the user's to fix: their problem details become the message; anything else is the service's.</summary>
    private static async Task ThrowOnUserErrorAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var detail = await ProblemAsync(response, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized:
                throw new ArgumentException($"the gateway refused the API key: set ApiKeys__0 to a key the deployment accepts ({detail})");
            case HttpStatusCode.BadRequest:
            case HttpStatusCode.Conflict:
                throw new ArgumentException($"{what} refused: {detail}");
            default:
                throw new HttpRequestException($"{what}: the service answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
        }
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            var field = problem.TryGetProperty("field", out var f) ? f.GetString() + ": " : "";
            var message = problem.TryGetProperty("detail", out var d) ? d.GetString() : problem.TryGetProperty("title", out var t) ? t.GetString() : text;
            return field + message;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    public void Dispose() => _http.Dispose();
}
