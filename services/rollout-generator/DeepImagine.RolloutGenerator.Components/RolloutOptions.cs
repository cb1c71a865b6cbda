namespace DeepImagine.RolloutGenerator;

/// <summary>Section <c>RolloutGenerator</c> (env <c>RolloutGenerator__ModelStore</c>, …).</summary>
public sealed class RolloutOptions
{
    public const string SectionName = "RolloutGenerator";

    /// <summary>The model store gpu-learner writes (the same directory or volume); default ~/.deepimagine/model-store, as gpu-learner's.</summary>
    public string? ModelStore { get; set; }

    /// <summary>
    /// Prompts sampled together in one generation batch (each as GroupSize rows). A request with more prompts is split
    /// into requests of this size on the service's own queue, so every instance takes a share; with one request handled
    /// at a time per instance this bounds the work (and memory) in flight.
    /// </summary>
    public int MaxPromptsInFlight { get; set; } = 4;

    /// <summary>Policy versions kept loaded per model (the newest ones): a request for a slightly older version still finds it.</summary>
    public int CachedVersions { get; set; } = 2;

    /// <summary>Fold LoRA adapters into the weights when loading (faster sampling; log-probs differ from the unmerged model by rounding only).</summary>
    public bool MergeAdapters { get; set; } = true;

    /// <summary>How this instance names itself in RolloutsGenerated and PolicyActivated; default rollout-generator@host:pid.</summary>
    public string? Worker { get; set; }

    /// <summary>How often a request waits for a group another live instance is generating (it then checks again).</summary>
    public double ClaimPollSeconds { get; set; } = 0.5;

    public string ResolvedModelStore() =>
        string.IsNullOrWhiteSpace(ModelStore)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".deepimagine", "model-store")
            : ModelStore;

    public string ResolvedWorker() =>
        string.IsNullOrWhiteSpace(Worker) ? $"rollout-generator@{Environment.MachineName}:{Environment.ProcessId}" : Worker;

    public void Validate()
    {
        if (MaxPromptsInFlight is < 1 or > 1024) throw new InvalidOperationException($"{SectionName}:MaxPromptsInFlight must be 1-1024 (got {MaxPromptsInFlight})");
        if (CachedVersions is < 1 or > 16) throw new InvalidOperationException($"{SectionName}:CachedVersions must be 1-16 (got {CachedVersions})");
        if (!(ClaimPollSeconds > 0)) throw new InvalidOperationException($"{SectionName}:ClaimPollSeconds must be positive (got {ClaimPollSeconds})");
    }
}
