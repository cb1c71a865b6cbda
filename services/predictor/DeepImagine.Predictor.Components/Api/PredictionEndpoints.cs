using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepImagine.Imagining.Questions;
using DeepImagine.Predictor.Data;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Jobs;
using DeepImagine.ServiceDefaults;
using DeepImagine.Trials;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DeepImagine.Predictor.Api;

/// <summary>
/// <c>POST /api/predictions</c>: one target and its questions. The target is exactly one of <see cref="Item"/> (a CT Open
/// item), <see cref="NctId"/> (a trial pair-miner stores) or <see cref="Study"/> (a ClinicalTrials.gov v2 study); for
/// the last two, <see cref="Endpoint"/>, <see cref="Questions"/> and <see cref="MetaLabel"/> say what to predict.
/// </summary>
public sealed record PredictionRequest
{
    [JsonPropertyName("item")] public CtOpenItem? Item { get; init; }
    [JsonPropertyName("nctId")] public string? NctId { get; init; }
    [JsonPropertyName("study")] public JsonElement? Study { get; init; }
    [JsonPropertyName("endpoint")] public CtOpenEndpoint? Endpoint { get; init; }
    [JsonPropertyName("questions")] public IReadOnlyList<CtOpenQuestion>? Questions { get; init; }
    [JsonPropertyName("metaLabel")] public string? MetaLabel { get; init; }
    /// <summary>Anchors whose results appeared after this date are not used (ISO date).</summary>
    [JsonPropertyName("cutoff")] public DateOnly? Cutoff { get; init; }
}

public sealed record PredictionResponse(IReadOnlyList<QuestionPrediction> Predictions, IReadOnlyDictionary<string, string> ModelVersions, DateTimeOffset CreatedAt);

/// <summary><c>POST /api/prediction-jobs</c>: a CT Open benchmark file (its <c>items</c>, optional <c>cutoff</c>), or many items the same way.</summary>
public sealed record PredictionJobRequest
{
    [JsonPropertyName("items")] public IReadOnlyList<CtOpenItem>? Items { get; init; }
    [JsonPropertyName("cutoff")] public string? Cutoff { get; init; }
}

public sealed record PredictionJobView(Guid Id, string Status, int Items, int Done, DateOnly? Cutoff, string? Error, DateTime CreatedAt, DateTime UpdatedAt,
    string Results);

public sealed record KnowledgeImportResult(int Items, int Endpoints, long KnowledgeEndpoints);

public static class PredictionEndpoints
{
    public const int MaxJobItems = 10_000;

    public static IEndpointRouteBuilder MapPredictionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/predictions", PredictAsync).RequireApiKey().WithTags("predictions").Accepts<PredictionRequest>("application/json")
            .WithSummary("Predict one target's questions: probabilities per option, every anchor's chain, the model versions used.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        var jobs = app.MapGroup("/api/prediction-jobs").WithTags("prediction jobs");
        jobs.MapPost("/", SubmitAsync).RequireApiKey().Accepts<PredictionJobRequest>("application/json").WithSummary("A batch (a CT Open benchmark file): 202 with the job id.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        jobs.MapGet("/{jobId:guid}", JobAsync).WithSummary("A job's status and progress.");
        jobs.MapGet("/{jobId:guid}/results", ResultsAsync).WithSummary("The job's predictions as JSON Lines in the CT Open prediction layout.");
        app.MapPost("/api/knowledge/ct-open", ImportCtOpenAsync).RequireApiKey().Accepts<PredictionJobRequest>("application/json").WithTags("knowledge")
            .WithSummary("CT Open items with known answers become anchors (results dated by the file's cutoff).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<Results<Ok<PredictionResponse>, ProblemHttpResult>> PredictAsync(HttpRequest http, PredictionEngine engine,
        PredictionRepository predictions, PairMinerTrials pairMiner, CancellationToken cancellationToken)
    {
        PredictionTarget target;
        try
        {
            var request = await BodyAsync<PredictionRequest>(http, cancellationToken);
            target = await TargetAsync(request, pairMiner, cancellationToken);
        }
        catch (PredictionInputException ex)
        {
            return Invalid(ex);
        }
        var answers = await engine.PredictAsync(target, cancellationToken);
        await predictions.SaveAsync(target.Item, answers, cancellationToken);
        var versions = answers.SelectMany(a => a.ModelVersions).DistinctBy(v => v.Key).ToDictionary(v => v.Key, v => v.Value);
        return TypedResults.Ok(new PredictionResponse(answers, versions, DateTimeOffset.UtcNow));
    }

    /// <summary>The request's one target, checked; what it lacks or gets wrong is named by its field.</summary>
    internal static async Task<PredictionTarget> TargetAsync(PredictionRequest request, PairMinerTrials pairMiner, CancellationToken cancellationToken)
    {
        var given = new[] { request.Item is not null, request.NctId is not null, request.Study is { ValueKind: not JsonValueKind.Null } }.Count(g => g);
        if (given != 1) throw new PredictionInputException("item", $"give exactly one target: item (a CT Open item), nctId or study ({given} given)");
        if (request.Item is { } item)
        {
            // An answer in a target would be scored as its own knowledge: it is dropped.
            var unanswered = item with { Questions = (item.Questions ?? []).Select(q => q with { AnswerIndex = null }).ToList() };
            return new PredictionTarget(TargetValidation.Check(unanswered, "item"), null, request.Cutoff);
        }
        Trial trial;
        if (request.NctId is { } nctId)
        {
            if (!Normalize.IsNctId(nctId.Trim())) throw new PredictionInputException("nctId", $"'{nctId}' is not an NCT id (NCT and 8 digits)");
            trial = await pairMiner.GetTrialAsync(nctId.Trim(), cancellationToken)
                ?? throw new PredictionInputException("nctId", $"{nctId} is not a stored trial (import it first, or post the study)");
        }
        else
        {
            var study = request.Study!.Value;
            var studyId = study.ValueKind == JsonValueKind.Object
                && study.TryGetProperty("protocolSection", out var protocol) && protocol.ValueKind == JsonValueKind.Object
                && protocol.TryGetProperty("identificationModule", out var identification) && identification.ValueKind == JsonValueKind.Object
                && identification.TryGetProperty("nctId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (string.IsNullOrWhiteSpace(studyId))
                throw new PredictionInputException("study.protocolSection.identificationModule.nctId", "is missing; post a ClinicalTrials.gov v2 study");
            try
            {
                trial = TrialRecordParser.Parse(new SourceRecord(SourceRecord.CtgovV2Source, studyId, RecordFormat.CtgovV2Json, study.GetRawText()));
            }
            catch (TrialValidationException ex)
            {
                throw new PredictionInputException($"study.{ex.Field}", ex.Message);
            }
        }
        if (request.Endpoint is not { Measure: { Length: > 0 } }) throw new PredictionInputException("endpoint.measure", "is missing; name the endpoint to predict");
        var built = new CtOpenItem
        {
            NctId = trial.NctId ?? trial.TrialId,
            EndpointKey = OutcomeQuestionBuilder.EndpointKey(request.Endpoint),
            BriefTitle = trial.Title,
            Endpoint = request.Endpoint,
            Arms = trial.Arms.Select(a => new CtOpenArm
            {
                Label = a.Label,
                Type = a.Type,
                Description = a.Description,
                Interventions = a.Interventions.Select(i => new CtOpenIntervention { Type = i.Type, Name = i.Name, Description = i.Dose?.Text }).ToList(),
            }).ToList(),
            MetaLabel = request.MetaLabel ?? "single_arm",
            Questions = (request.Questions ?? []).Select(q => q with { AnswerIndex = null }).ToList(),
        };
        return new PredictionTarget(TargetValidation.Check(built, "request"), trial, request.Cutoff);
    }

    private static async Task<Results<Accepted<PredictionJobView>, ProblemHttpResult>> SubmitAsync(HttpRequest http, PredictionRepository repository,
        JobSignal signal, CancellationToken cancellationToken)
    {
        List<CtOpenItem> items;
        DateOnly? cutoff;
        try
        {
            var request = await BodyAsync<PredictionJobRequest>(http, cancellationToken);
            if (request.Items is not { Count: > 0 }) throw new PredictionInputException("items", "is empty; give the items of a CT Open file");
            if (request.Items.Count > MaxJobItems) throw new PredictionInputException("items", $"{request.Items.Count} items; at most {MaxJobItems} per job");
            items = request.Items.Select((item, i) => TargetValidation.Check(item is null ? null : item with
            {
                Questions = (item.Questions ?? []).Select(q => q with { AnswerIndex = null }).ToList(),
            }, $"items[{i}]")).ToList();
            cutoff = Cutoff(request.Cutoff);
        }
        catch (PredictionInputException ex)
        {
            return Invalid(ex);
        }
        var id = Guid.NewGuid();
        await repository.CreateJobAsync(id, items, cutoff, cancellationToken);
        signal.Notify();
        var job = (await repository.JobAsync(id, cancellationToken))!;
        return TypedResults.Accepted($"/api/prediction-jobs/{id}", View(job));
    }

    private static async Task<Results<Ok<PredictionJobView>, NotFound>> JobAsync(Guid jobId, PredictionRepository repository, CancellationToken cancellationToken) =>
        await repository.JobAsync(jobId, cancellationToken) is { } job ? TypedResults.Ok(View(job)) : TypedResults.NotFound();

    private static async Task<IResult> ResultsAsync(Guid jobId, PredictionRepository repository, CancellationToken cancellationToken)
    {
        if (await repository.JobAsync(jobId, cancellationToken) is null) return TypedResults.NotFound();
        var lines = new StringBuilder();
        foreach (var p in await repository.ResultsAsync(jobId, cancellationToken))
        {
            lines.Append(new JsonObject
            {
                ["nct_id"] = p.NctId,
                ["endpoint_key"] = p.EndpointKey,
                ["question_index"] = p.QuestionIndex,
                ["probabilities"] = new JsonArray(p.Probabilities.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                ["output"] = p.Output,
                ["model_versions"] = JsonNode.Parse(p.ModelVersions),
                ["created_at"] = p.CreatedAt.ToString("O"),
            }.ToJsonString()).Append('\n');
        }
        return TypedResults.Text(lines.ToString(), "application/x-ndjson");
    }

    private static async Task<Results<Ok<KnowledgeImportResult>, ProblemHttpResult>> ImportCtOpenAsync(HttpRequest http, KnowledgeRepository knowledge,
        CancellationToken cancellationToken)
    {
        List<KnowledgeItem> items;
        PredictionJobRequest file;
        try
        {
            file = await BodyAsync<PredictionJobRequest>(http, cancellationToken);
            if (file.Items is not { Count: > 0 }) throw new PredictionInputException("items", "is empty; give a CT Open file with answers");
            var cutoff = Cutoff(file.Cutoff);
            items = file.Items.Select((item, i) => TargetValidation.Check(item, $"items[{i}]", needAnswers: true))
                .Select(item => new KnowledgeItem(item, null, cutoff)).ToList();
        }
        catch (PredictionInputException ex)
        {
            return Invalid(ex);
        }
        var stored = await knowledge.UpsertAsync(items, KnowledgeRepository.CtOpenSource, cancellationToken);
        return TypedResults.Ok(new KnowledgeImportResult(file.Items.Count, stored, await knowledge.CountAsync(cancellationToken)));
    }

    /// <summary>The JSON body; a body that does not read names the JSON path where it failed.</summary>
    private static async Task<T> BodyAsync<T>(HttpRequest http, CancellationToken cancellationToken) where T : class
    {
        if (!http.HasJsonContentType()) throw new PredictionInputException("body", "send JSON (Content-Type: application/json)");
        try
        {
            return await http.ReadFromJsonAsync<T>(cancellationToken) ?? throw new PredictionInputException("body", "is null");
        }
        catch (JsonException ex)
        {
            var path = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "body";
            throw new PredictionInputException(path, ex.Message);
        }
    }

    private static DateOnly? Cutoff(string? text) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", out var date) ? date
        : throw new PredictionInputException("cutoff", $"'{text}' is not an ISO date (yyyy-MM-dd)");

    private static PredictionJobView View(PredictionJobRow j) =>
        new(j.Id, j.Status, j.Items, j.Done, j.Cutoff, j.Error, j.CreatedAt, j.UpdatedAt, $"/api/prediction-jobs/{j.Id}/results");

    private static ProblemHttpResult Invalid(PredictionInputException ex) =>
        TypedResults.Problem(title: "invalid prediction input", detail: ex.Message, statusCode: StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?> { ["field"] = ex.Field });
}
