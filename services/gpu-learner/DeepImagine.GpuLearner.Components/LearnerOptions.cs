namespace DeepImagine.GpuLearner;

/// <summary>Section <c>GpuLearner</c> (env <c>GpuLearner__ModelStore</c>, …).</summary>
public sealed class LearnerOptions
{
    public const string SectionName = "GpuLearner";

    /// <summary>The model store's directory; default ~/.deepimagine/model-store (a volume in docker-compose).</summary>
    public string? ModelStore { get; set; }

    /// <summary>trace-generator's base address, for the datasets API.</summary>
    public string TraceGenerator { get; set; } = "http://127.0.0.1:5102";

    /// <summary>At most one TrainingJobProgress per job per this many seconds (and one row update in the registry).</summary>
    public double ProgressIntervalSeconds { get; set; } = 2;

    /// <summary>How often an idle runner looks for work it was not told about (e.g. jobs left running by a killed process).</summary>
    public double PollSeconds { get; set; } = 2;

    /// <summary>rollout-generator's base address, for the token ids and sampler log-probs of generated groups (grpo jobs).</summary>
    public string RolloutGenerator { get; set; } = "http://127.0.0.1:5104";

    /// <summary>How long a grpo job waits for enough scored groups before it fails (the services on the other side are down).</summary>
    public double RolloutTimeoutSeconds { get; set; } = 900;

    /// <summary>How often a grpo job looks for newly scored groups.</summary>
    public double RewardPollSeconds { get; set; } = 0.2;

    public string ResolvedModelStore() =>
        string.IsNullOrWhiteSpace(ModelStore)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".deepimagine", "model-store")
            : ModelStore;
}
