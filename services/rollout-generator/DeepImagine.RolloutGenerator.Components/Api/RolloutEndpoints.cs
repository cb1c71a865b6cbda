using DeepImagine.Contracts.V1;
using DeepImagine.RolloutGenerator.Policies;
using DeepImagine.RolloutGenerator.Rollouts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.RolloutGenerator.Api;

/// <summary>A policy version this instance has loaded; <see cref="Serving"/> marks the newest of its model.</summary>
public sealed record LoadedPolicyView(string ModelName, int Version, bool Serving, string Worker);

/// <summary>The rollouts API (document <c>/openapi/rollout-generator.json</c>): read-only.</summary>
public static class RolloutEndpoints
{
    public static IEndpointRouteBuilder MapRolloutEndpoints(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup("/api/rollouts").WithTags("rollouts");
        rollouts.MapGet("/{groupId:guid}", GetAsync)
            .WithSummary("A generated group: the prompt's token ids and every completion's token ids, sampler log-probs and finish reason.");
        rollouts.MapGet("/policies", Policies)
            .WithSummary("The policy versions this instance has loaded (which one it serves per model).");
        return app;
    }

    public static RolloutGroupView View(StoredGroup group) =>
        new(group.GroupId, group.JobId, group.PromptId, group.ModelName, group.PolicyVersion, group.PromptTokenIds,
            group.Completions.Select(c => new RolloutTokens(c.Index, c.TokenIds, c.LogProbs, c.FinishReason)).ToList(), group.Worker, group.GeneratedAt);

    private static async Task<Results<Ok<RolloutGroupView>, NotFound>> GetAsync(Guid groupId, RolloutRepository repository, CancellationToken cancellationToken) =>
        await repository.GetAsync(groupId, cancellationToken) is { } group ? TypedResults.Ok(View(group)) : TypedResults.NotFound();

    private static Ok<IReadOnlyList<LoadedPolicyView>> Policies(PolicyCache cache) =>
        TypedResults.Ok<IReadOnlyList<LoadedPolicyView>>(cache.Loaded()
            .Select(p => new LoadedPolicyView(p.Model, p.Version, cache.Serving(p.Model) == p.Version, cache.Worker)).ToList());
}
