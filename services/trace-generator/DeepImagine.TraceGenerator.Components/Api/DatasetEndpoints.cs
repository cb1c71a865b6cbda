using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.TraceGenerator.Api;

/// <summary>The learner's read API: datasets, their examples page by page, and the registry-text corpus of their trials.</summary>
public static class DatasetEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapDatasetEndpoints(this IEndpointRouteBuilder routes)
    {
        var datasets = routes.MapGroup("/api/datasets").WithTags("Datasets");
        datasets.MapGet("/", ListAsync).WithName("ListDatasets").WithSummary("Datasets of step examples with counts per factor and split");
        datasets.MapGet("/{id:guid}", GetAsync).WithName("GetDataset").WithSummary("One dataset with counts per factor and split")
            .ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapGet("/{id:guid}/examples", ExamplesAsync).WithName("GetDatasetExamples")
            .WithSummary($"Step examples in stored order; filter by split (train, validation, test) and factor; page with after (the last example id seen) and limit (1-{MaxLimit}, default {DefaultLimit})")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapGet("/{id:guid}/corpus", CorpusAsync).WithName("GetDatasetCorpus")
            .WithSummary("Registry text (never results) of the trials the dataset has seen, optionally of one split, for pretraining")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<DatasetSummary>>> ListAsync(DatasetRepository repository, CancellationToken cancellationToken) =>
        TypedResults.Ok(await repository.ListAsync(cancellationToken));

    private static async Task<Results<Ok<DatasetSummary>, ProblemHttpResult>> GetAsync([FromRoute] Guid id, DatasetRepository repository, CancellationToken cancellationToken) =>
        await repository.GetAsync(id, cancellationToken) is { } dataset ? TypedResults.Ok(dataset) : NotFound(id);

    private static async Task<Results<Ok<IReadOnlyList<StepExampleRecord>>, ProblemHttpResult>> ExamplesAsync([FromRoute] Guid id,
        [FromQuery] string? split, [FromQuery] string? factor, [FromQuery] Guid? after, [FromQuery] int? limit,
        DatasetRepository repository, CancellationToken cancellationToken)
    {
        if (BadSplit(split) is { } badSplit) return badSplit;
        if (factor is not null && !Factors.All.Contains(factor))
            return BadRequest("factor", $"factor '{factor}' is not one of {string.Join(", ", Factors.All)}");
        if (limit is < 1 or > MaxLimit)
            return BadRequest("limit", $"limit {limit} is outside 1-{MaxLimit}");
        if (await repository.GetAsync(id, cancellationToken) is null) return NotFound(id);
        if (after is { } a && !await repository.HasExampleAsync(id, a, cancellationToken))
            return BadRequest("after", $"after '{a}' is not an example of dataset {id}");
        return TypedResults.Ok(await repository.ExamplesAsync(id, split, factor, after, limit ?? DefaultLimit, cancellationToken));
    }

    private static async Task<Results<Ok<IReadOnlyList<CorpusDocument>>, ProblemHttpResult>> CorpusAsync([FromRoute] Guid id, [FromQuery] string? split,
        DatasetRepository repository, CancellationToken cancellationToken)
    {
        if (BadSplit(split) is { } badSplit) return badSplit;
        if (await repository.GetAsync(id, cancellationToken) is null) return NotFound(id);
        return TypedResults.Ok(await repository.CorpusAsync(id, split, cancellationToken));
    }

    private static ProblemHttpResult? BadSplit(string? split) =>
        split is not null && !TrialSplit.All.Contains(split) ? BadRequest("split", $"split '{split}' is not one of {string.Join(", ", TrialSplit.All)}") : null;

    internal static ProblemHttpResult BadRequest(string field, string detail) => TypedResults.Problem(title: $"Invalid {field}", detail: detail,
        statusCode: StatusCodes.Status400BadRequest, extensions: new Dictionary<string, object?> { ["field"] = field });

    internal static ProblemHttpResult NotFound(Guid id) => TypedResults.Problem(title: "Dataset not found", detail: $"no dataset has id '{id}'",
        statusCode: StatusCodes.Status404NotFound);
}
