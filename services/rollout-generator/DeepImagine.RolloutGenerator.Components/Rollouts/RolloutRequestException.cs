using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;

namespace DeepImagine.RolloutGenerator.Rollouts;

/// <summary>
/// A request that can never be served as it is (never retried; it goes to the error queue with this reason): the
/// message names the batch and the field, e.g. <c>RolloutsRequested batch …: policyVersion: model 'x' has no complete version 7</c>.
/// </summary>
public sealed class RolloutRequestException(Guid batchId, string field, string problem)
    : Exception($"RolloutsRequested batch {batchId}: {field}: {problem}")
{
    public string Field { get; } = field;
}

public static class RolloutRequestValidation
{
    public const int MaxGroupSize = 256;
    public const int MaxNewTokensLimit = 32_768;

    public static void Validate(RolloutsRequested request)
    {
        void Fail(string field, string problem) => throw new RolloutRequestException(request.BatchId, field, problem);

        if (!ModelStore.IsValidName(request.ModelName)) Fail("modelName", $"'{request.ModelName}' is not a model name (lower-case letters, digits, '.', '-' or '_')");
        if (request.PolicyVersion < 1) Fail("policyVersion", $"must be at least 1 (got {request.PolicyVersion})");
        if (request.GroupSize is < 1 or > MaxGroupSize) Fail("groupSize", $"must be 1-{MaxGroupSize} (got {request.GroupSize})");
        if (request.Sampling is null) Fail("sampling", "is missing");
        var sampling = request.Sampling!;
        if (sampling.MaxNewTokens is < 1 or > MaxNewTokensLimit) Fail("sampling.maxNewTokens", $"must be 1-{MaxNewTokensLimit} (got {sampling.MaxNewTokens})");
        if (!double.IsFinite(sampling.Temperature) || sampling.Temperature < 0) Fail("sampling.temperature", $"must be 0 (greedy) or more (got {sampling.Temperature})");
        if (!(sampling.TopP is > 0 and <= 1)) Fail("sampling.topP", $"must be in (0, 1] (got {sampling.TopP})");
        if (sampling.TopK < 0) Fail("sampling.topK", $"must be 0 (all) or more (got {sampling.TopK})");
        if (request.Prompts is null || request.Prompts.Count == 0) Fail("prompts", "no prompts to roll out");
        var seen = new HashSet<Guid>();
        for (var i = 0; i < request.Prompts!.Count; i++)
        {
            var prompt = request.Prompts[i];
            if (prompt is null) Fail($"prompts[{i}]", "is null");
            if (prompt!.GroupId == Guid.Empty) Fail($"prompts[{i}].groupId", "is empty");
            if (!seen.Add(prompt.GroupId)) Fail($"prompts[{i}].groupId", $"{prompt.GroupId} appears twice in the batch");
            if (string.IsNullOrWhiteSpace(prompt.Prompt)) Fail($"prompts[{i}].prompt", $"is empty (group {prompt.GroupId})");
        }
    }
}
