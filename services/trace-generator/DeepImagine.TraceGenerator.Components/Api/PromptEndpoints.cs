using DeepImagine.Contracts.V1;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.TraceGenerator.Api;

/// <summary>Verifiable prompts for RL: a dataset's prompts page by page (rollouts, validation) and one prompt with its gold answer (rewards).</summary>
public static class PromptEndpoints
{
    public static IEndpointRouteBuilder MapPromptEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/datasets/{id:guid}/prompts", PromptsAsync).WithTags("Prompts").WithName("GetDatasetPrompts")
            .WithSummary($"Verifiable prompts with their gold answers in stored order; filter by split (train, validation, test) and kind ({string.Join(", ", VerifiablePromptKinds.All)}); page with after (the last prompt id seen) and limit (1-{DatasetEndpoints.MaxLimit}, default {DatasetEndpoints.DefaultLimit})")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGet("/api/prompts/{promptId:guid}", GetAsync).WithTags("Prompts").WithName("GetPrompt")
            .WithSummary("One verifiable prompt with its gold answer")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Results<Ok<IReadOnlyList<VerifiablePromptRecord>>, ProblemHttpResult>> PromptsAsync([FromRoute] Guid id,
        [FromQuery] string? split, [FromQuery] string? kind, [FromQuery] Guid? after, [FromQuery] int? limit,
        DatasetRepository datasets, PromptRepository prompts, CancellationToken cancellationToken)
    {
        if (split is not null && !TrialSplit.All.Contains(split))
            return DatasetEndpoints.BadRequest("split", $"split '{split}' is not one of {string.Join(", ", TrialSplit.All)}");
        if (kind is not null && !VerifiablePromptKinds.All.Contains(kind))
            return DatasetEndpoints.BadRequest("kind", $"kind '{kind}' is not one of {string.Join(", ", VerifiablePromptKinds.All)}");
        if (limit is < 1 or > DatasetEndpoints.MaxLimit)
            return DatasetEndpoints.BadRequest("limit", $"limit {limit} is outside 1-{DatasetEndpoints.MaxLimit}");
        if (await datasets.GetAsync(id, cancellationToken) is null) return DatasetEndpoints.NotFound(id);
        if (after is { } a && !await prompts.HasPromptAsync(id, a, cancellationToken))
            return DatasetEndpoints.BadRequest("after", $"after '{a}' is not a prompt of dataset {id}");
        return TypedResults.Ok(await prompts.PromptsAsync(id, split, kind, after, limit ?? DatasetEndpoints.DefaultLimit, cancellationToken));
    }

    private static async Task<Results<Ok<VerifiablePromptRecord>, ProblemHttpResult>> GetAsync([FromRoute] Guid promptId, PromptRepository prompts, CancellationToken cancellationToken) =>
        await prompts.GetAsync(promptId, cancellationToken) is { } prompt
            ? TypedResults.Ok(prompt)
            : TypedResults.Problem(title: "Prompt not found", detail: $"no prompt has id '{promptId}'", statusCode: StatusCodes.Status404NotFound);
}
