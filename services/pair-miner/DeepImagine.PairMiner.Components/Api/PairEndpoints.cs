using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Pairs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.PairMiner.Components.Api;

/// <summary>
/// pair-miner's read API for pairs: how other services and the CLI learn about pairs (never from its tables). Pairs are
/// <see cref="PairRecord"/>s, the same contract `deepimagine pairs export` writes.
/// </summary>
public static class PairEndpoints
{
    public const int MaxPageSize = 5000;
    public const int MaxIds = 5000;

    public static IEndpointRouteBuilder MapPairEndpoints(this IEndpointRouteBuilder routes)
    {
        var pairs = routes.MapGroup("/api/pairs").WithTags("Pairs");

        pairs.MapGet("/", ListAsync)
            .WithName("ListPairs")
            .WithSummary("Pairs in id order: a page after a cursor (after, limit; kind, factor), or exactly the pairs named by ids (ids=1,2,3, as PairsMined.NewPairIds gives them)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        pairs.MapGet("/stats", async (PairRepository repository, CancellationToken cancellationToken) =>
                TypedResults.Ok(await repository.StatsAsync(cancellationToken)))
            .WithName("GetPairStats")
            .WithSummary("Counts of all stored pairs by kind and factor (a pair that differs in two factors counts under each)");
        return routes;
    }

    private static async Task<Results<Ok<PairPage>, ProblemHttpResult>> ListAsync([FromQuery] long? after, [FromQuery] int? limit,
        [FromQuery] string? kind, [FromQuery] string? factor, [FromQuery] string? ids, PairRepository repository, CancellationToken cancellationToken)
    {
        if (InvalidFilter(kind, factor) is { } problem) return problem;
        if (ids is not null)
        {
            if (after is not null || limit is not null || kind is not null || factor is not null)
                return BadRequest("Conflicting query", "'ids' names the pairs exactly; it cannot be combined with after, limit, kind or factor");
            var parsed = new List<long>();
            foreach (var part in ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    return BadRequest("Invalid pair id", $"ids: '{part}' is not a pair id (a positive whole number)");
                parsed.Add(id);
            }
            if (parsed.Count > MaxIds) return BadRequest("Too many ids", $"ids: {parsed.Count} given, at most {MaxIds} per request");
            var named = await repository.ByIdsAsync(parsed, cancellationToken);
            return TypedResults.Ok(new PairPage(named.Select(p => PairRecordMapping.ToRecord(p.Id, p.Pair)).ToList(), null));
        }

        var size = limit ?? 1000;
        if (size is < 1 or > MaxPageSize) return BadRequest("Invalid limit", $"limit {size} is not between 1 and {MaxPageSize}");
        if (after is < 0) return BadRequest("Invalid cursor", $"after {after} is negative");
        var page = await repository.PageAsync(after ?? 0, size, kind, factor, cancellationToken);
        var records = page.Select(p => PairRecordMapping.ToRecord(p.Id, p.Pair)).ToList();
        return TypedResults.Ok(new PairPage(records, records.Count == size ? records[^1].Id : null));
    }

    internal static ProblemHttpResult? InvalidFilter(string? kind, string? factor)
    {
        if (kind is not null && kind is not (PairKinds.Natural or PairKinds.Approximate))
            return BadRequest("Unknown pair kind", $"kind '{kind}' is not natural or approximate");
        if (factor is not null && !Factors.All.Contains(factor))
            return BadRequest("Unknown factor", $"factor '{factor}' is not one of {string.Join(", ", Factors.All)}");
        return null;
    }

    private static ProblemHttpResult BadRequest(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
