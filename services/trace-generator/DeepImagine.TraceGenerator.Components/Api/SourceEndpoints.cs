using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.ServiceDefaults;
using DeepImagine.TraceGenerator.Sources;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.TraceGenerator.Api;

/// <summary>
/// Training sources that are not mined pairs, taken over HTTP (API key): Evidence Inference's labelled questions (step
/// examples) and unlabelled articles (pretraining corpus). Both are idempotent: the same records again add nothing.
/// </summary>
public static class SourceEndpoints
{
    public static IEndpointRouteBuilder MapSourceEndpoints(this IEndpointRouteBuilder routes)
    {
        var sources = routes.MapGroup("/api/sources").WithTags("Sources");
        sources.MapPost("/evidence-inference", ImportQuestionsAsync).RequireApiKey().WithName("ImportEvidenceInferenceQuestions")
            .WithSummary("Labelled Evidence Inference questions (data/evidence-inference/questions.jsonl.gz) into the dataset as step examples, split by article")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        sources.MapPost("/evidence-inference/articles", ImportArticlesAsync).RequireApiKey().WithName("ImportEvidenceInferenceArticles")
            .WithSummary("Unlabelled trial reports for the pretraining corpus (GET /api/datasets/{id}/corpus)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return routes;
    }

    private static async Task<Results<Ok<EvidenceInferenceImportResult>, ProblemHttpResult>> ImportQuestionsAsync(EvidenceInferenceImportRequest? request,
        EvidenceInferenceSource source, IPublishEndpoint publisher, CancellationToken cancellationToken)
    {
        EvidenceInferenceImportResult result;
        IReadOnlyList<DatasetCount> counts;
        try
        {
            (result, counts) = await source.ImportQuestionsAsync(request?.Questions, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            return Invalid("questions", ex.Message);
        }
        // The learners hear of new examples as they do after mining.
        if (result.ExamplesAdded > 0)
            await publisher.Publish(new SftExamplesReady(result.DatasetId, result.DatasetName, StepFormat.TemplateVersion, counts, NewId.NextGuid()), cancellationToken);
        return TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<EvidenceArticleImportResult>, ProblemHttpResult>> ImportArticlesAsync(EvidenceArticleImportRequest? request,
        EvidenceInferenceSource source, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await source.ImportArticlesAsync(request?.Articles, cancellationToken));
        }
        catch (ArgumentException ex)
        {
            return Invalid("articles", ex.Message);
        }
    }

    private static ProblemHttpResult Invalid(string what, string detail) => TypedResults.Problem(title: $"Invalid {what}", detail: detail,
        statusCode: StatusCodes.Status400BadRequest, extensions: new Dictionary<string, object?> { ["field"] = what });
}
