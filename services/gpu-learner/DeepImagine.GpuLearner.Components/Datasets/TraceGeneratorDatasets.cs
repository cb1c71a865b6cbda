using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;

namespace DeepImagine.GpuLearner.Datasets;

/// <summary>
/// trace-generator's datasets API: <c>GET /api/datasets/{id}</c>, <c>/examples?split=&amp;factor=&amp;after=&amp;limit=</c>
/// (paged by the last example id) and <c>/corpus?split=</c>.
/// </summary>
public sealed class TraceGeneratorDatasets(HttpClient http) : IDatasetSource
{
    private const int PageSize = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DatasetDescription?> DescribeAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/datasets/{datasetId}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var root = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        var counts = root.TryGetProperty("counts", out var c) && c.ValueKind == JsonValueKind.Array
            ? c.Deserialize<List<DatasetCount>>(Json) ?? []
            : [];
        return new DatasetDescription(
            datasetId,
            root.TryGetProperty("datasetName", out var n) || root.TryGetProperty("name", out n) ? n.GetString() ?? "" : "",
            root.TryGetProperty("templateVersion", out var t) && t.TryGetInt32(out var tv) ? tv : 0,
            counts);
    }

    public async Task<IReadOnlyList<StepExampleRecord>> ExamplesAsync(Guid datasetId, string split, string? factor, CancellationToken cancellationToken)
    {
        var all = new List<StepExampleRecord>();
        Guid? after = null;
        while (true)
        {
            var url = $"api/datasets/{datasetId}/examples?split={Uri.EscapeDataString(split)}&limit={PageSize}"
                + (factor is null ? "" : $"&factor={Uri.EscapeDataString(factor)}")
                + (after is null ? "" : $"&after={after}");
            var root = await http.GetFromJsonAsync<JsonElement>(url, Json, cancellationToken);
            // A bare array, or a page object with its items.
            var items = root.ValueKind == JsonValueKind.Array ? root
                : root.TryGetProperty("items", out var i) ? i
                : root.TryGetProperty("examples", out i) ? i
                : throw new InvalidDataException($"{url}: expected an array of examples or an object with 'items'");
            var page = items.Deserialize<List<StepExampleRecord>>(Json) ?? [];
            all.AddRange(page);
            if (page.Count < PageSize) return all;
            after = page[^1].ExampleId;
        }
    }

    public async Task<IReadOnlyList<string>> CorpusAsync(Guid datasetId, string split, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/datasets/{datasetId}/corpus?split={Uri.EscapeDataString(split)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            var root = JsonDocument.Parse(text).RootElement;
            var documents = root.ValueKind == JsonValueKind.Array ? root
                : root.TryGetProperty("documents", out var d) ? d
                : throw new InvalidDataException("corpus: expected an array of documents or an object with 'documents'");
            return documents.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetProperty("text").GetString()!).ToList();
        }
        // Plain text: documents separated by blank lines.
        return text.Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
