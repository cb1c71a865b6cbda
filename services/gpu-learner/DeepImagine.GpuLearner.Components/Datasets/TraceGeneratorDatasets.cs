using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;

namespace DeepImagine.GpuLearner.Datasets;

/// <summary>
/// trace-generator's datasets API: <c>GET /api/datasets/{id}</c> (<see cref="DatasetSummary"/>),
/// <c>/examples?split=&amp;factor=&amp;after=&amp;limit=</c> (paged by the last example id) and <c>/corpus?split=</c>
/// (<see cref="CorpusDocument"/>s), and <c>/prompts?split=&amp;after=&amp;limit=</c> (<see cref="VerifiablePromptRecord"/>s, paged
/// by the last prompt id).
/// </summary>
public sealed class TraceGeneratorDatasets(HttpClient http) : IDatasetSource
{
    private const int PageSize = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DatasetSummary?> DescribeAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"api/datasets/{datasetId}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DatasetSummary>(Json, cancellationToken);
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
            var page = await http.GetFromJsonAsync<List<StepExampleRecord>>(url, Json, cancellationToken) ?? [];
            all.AddRange(page);
            if (page.Count < PageSize) return all;
            after = page[^1].ExampleId;
        }
    }

    public async Task<IReadOnlyList<string>> CorpusAsync(Guid datasetId, string split, CancellationToken cancellationToken)
    {
        var documents = await http.GetFromJsonAsync<List<CorpusDocument>>($"api/datasets/{datasetId}/corpus?split={Uri.EscapeDataString(split)}", Json, cancellationToken) ?? [];
        return documents.Select(d => d.Text).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
    }

    public async Task<IReadOnlyList<VerifiablePromptRecord>> PromptsAsync(Guid datasetId, string split, CancellationToken cancellationToken)
    {
        var all = new List<VerifiablePromptRecord>();
        Guid? after = null;
        while (true)
        {
            var url = $"api/datasets/{datasetId}/prompts?split={Uri.EscapeDataString(split)}&limit={PageSize}" + (after is null ? "" : $"&after={after}");
            var page = await http.GetFromJsonAsync<List<VerifiablePromptRecord>>(url, Json, cancellationToken) ?? [];
            all.AddRange(page);
            if (page.Count < PageSize) return all;
            after = page[^1].PromptId;
        }
    }
}
