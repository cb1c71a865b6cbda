using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Pairs;
using DeepImagine.ServiceDefaults;
using DeepImagine.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DeepImagine.PairMiner.Components.Api;

/// <summary>Response to an accepted submission: the record id to poll and the correlation id of its messages.</summary>
public sealed record TrialAccepted(string RecordId, Guid CorrelationId, string Location);

/// <summary>A stored trial as the API returns it.</summary>
public sealed record TrialResource(string TrialId, string Source, string SourceRecordId, int Version, string ContentHash, DateTimeOffset StoredAt, Trial Trial);

public static class TrialEndpoints
{
    public static IEndpointRouteBuilder MapTrialEndpoints(this IEndpointRouteBuilder routes)
    {
        var trials = routes.MapGroup("/api/trials").WithTags("Trials");

        trials.MapPost("/", SubmitAsync)
            .WithName("SubmitTrial")
            .WithSummary("Submit a ClinicalTrials.gov API v2 study (JSON) for ingestion")
            .Accepts<object>("application/json")
            .RequireApiKey()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        trials.MapGet("/", ListIdsAsync)
            .WithName("ListTrialIds")
            .WithSummary("Ids of the stored trials in ordinal order, a page after a cursor (after = the last id of the previous page, limit)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        trials.MapGet("/stats", async (TrialRepository repository, CancellationToken cancellationToken) =>
                TypedResults.Ok(await repository.CountBySourceAsync(cancellationToken)))
            .WithName("GetTrialStats")
            .WithSummary("Stored trials (latest versions) by source, with how many have results");

        trials.MapGet("/{id}/pairs", GetPairsAsync)
            .WithName("GetTrialPairs")
            .WithSummary("Counterfactual pairs that involve a trial; filter by kind (natural, approximate) and factor (dose, arm, outcome, population, geography, design)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        trials.MapGet("/{id}", GetAsync)
            .WithName("GetTrial")
            .WithSummary("The newest stored version of a trial, by NCT id or source record id")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Results<Accepted<TrialAccepted>, ProblemHttpResult>> SubmitAsync(HttpRequest request, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var json = await reader.ReadToEndAsync(cancellationToken);
        var recordId = SourceFiles.V2NctId(json) ?? "(no id)";
        try
        {
            // The whole record is read once here so a broken one is answered now, not only in the _error queue.
            TrialRecordParser.Parse(SourceFiles.V2Record(json, recordId));
        }
        catch (TrialValidationException ex)
        {
            return TypedResults.Problem(
                title: "The study record is not valid",
                detail: ex.Message,
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["recordId"] = ex.RecordId, ["field"] = ex.Field });
        }

        var correlationId = NewId.NextGuid();
        await publisher.Publish(SourceFiles.V2Record(json, recordId).ToMessage(correlationId), cancellationToken);
        var location = $"/api/trials/{Uri.EscapeDataString(recordId)}";
        return TypedResults.Accepted(location, new TrialAccepted(recordId, correlationId, location));
    }

    private static async Task<Results<Ok<TrialIdPage>, ProblemHttpResult>> ListIdsAsync([FromQuery] string? after, [FromQuery] int? limit,
        TrialRepository repository, CancellationToken cancellationToken)
    {
        var size = limit ?? 1000;
        if (size is < 1 or > PairEndpoints.MaxPageSize)
            return TypedResults.Problem(title: "Invalid limit", detail: $"limit {size} is not between 1 and {PairEndpoints.MaxPageSize}", statusCode: StatusCodes.Status400BadRequest);
        var ids = await repository.TrialIdsAsync(string.IsNullOrEmpty(after) ? null : after, size, cancellationToken);
        return TypedResults.Ok(new TrialIdPage(ids, ids.Count == size ? ids[^1] : null));
    }

    private static async Task<Results<Ok<IReadOnlyList<PairRecord>>, ProblemHttpResult>> GetPairsAsync([FromRoute] string id,
        [FromQuery] string? kind, [FromQuery] string? factor, PairRepository pairs, CancellationToken cancellationToken)
    {
        if (PairEndpoints.InvalidFilter(kind, factor) is { } problem) return problem;
        var found = await pairs.ForTrialAsync(id, kind, factor, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<PairRecord>>(found.Select(p => PairRecordMapping.ToRecord(p.Id, p.Pair)).ToList());
    }

    private static async Task<Results<Ok<TrialResource>, ProblemHttpResult>> GetAsync([FromRoute] string id, TrialRepository repository, CancellationToken cancellationToken)
    {
        var stored = await repository.GetLatestAsync(id, cancellationToken);
        if (stored is null)
            return TypedResults.Problem(title: "Trial not found", detail: $"no stored trial has id '{id}'", statusCode: StatusCodes.Status404NotFound);
        var t = stored.Trial;
        return TypedResults.Ok(new TrialResource(t.TrialId, t.Source, t.SourceRecordId, stored.Version, stored.ContentHash, stored.StoredAt, t));
    }
}
