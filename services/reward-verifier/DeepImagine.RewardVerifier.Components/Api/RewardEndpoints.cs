using DeepImagine.Contracts.V1;
using DeepImagine.RewardVerifier.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.RewardVerifier.Api;

/// <summary>The audit trail: verified groups with every completion's reward, components, advantage and text.</summary>
public static class RewardEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapRewardEndpoints(this IEndpointRouteBuilder routes)
    {
        var rewards = routes.MapGroup("/api/rewards").WithTags("Rewards");
        rewards.MapGet("/", ListAsync).WithName("ListVerifiedGroups")
            .WithSummary($"Verified rollout groups in stored order, optionally of one job (jobId); page with after (the last group id seen) and limit (1-{MaxLimit}, default {DefaultLimit})")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        rewards.MapGet("/groups/{groupId:guid}", GetAsync).WithName("GetVerifiedGroup")
            .WithSummary("One verified group: each completion's reward, components, advantage and text")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Results<Ok<IReadOnlyList<VerifiedGroupView>>, ProblemHttpResult>> ListAsync([FromQuery] Guid? jobId, [FromQuery] Guid? after,
        [FromQuery] int? limit, RewardRepository repository, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit) return BadRequest("limit", $"limit {limit} is outside 1-{MaxLimit}");
        if (after is { } a && !await repository.HasGroupAsync(a, cancellationToken)) return BadRequest("after", $"after '{a}' is not a verified group");
        return TypedResults.Ok(await repository.ListAsync(jobId, after, limit ?? DefaultLimit, cancellationToken));
    }

    private static async Task<Results<Ok<VerifiedGroupView>, ProblemHttpResult>> GetAsync([FromRoute] Guid groupId, RewardRepository repository, CancellationToken cancellationToken) =>
        await repository.GetAsync(groupId, cancellationToken) is { } group
            ? TypedResults.Ok(group)
            : TypedResults.Problem(title: "Group not found", detail: $"no verified group has id '{groupId}'", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult BadRequest(string field, string detail) => TypedResults.Problem(title: $"Invalid {field}", detail: detail,
        statusCode: StatusCodes.Status400BadRequest, extensions: new Dictionary<string, object?> { ["field"] = field });
}
