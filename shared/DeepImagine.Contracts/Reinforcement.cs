namespace DeepImagine.Contracts.V1;

// Reinforcement learning with verifiable rewards: gpu-learner (job kind grpo) asks rollout-generator for completions,
// reward-verifier scores them against observed results, gpu-learner trains on the scored groups. Weights never travel
// on the bus: a policy is named by model name + version in the model store.

/// <summary>
/// The observed answer of a verifiable prompt, as far as it is known: the direction of side B relative to side A
/// (<c>higher|lower|same</c>), its significance, the log ratio of the two values, or the index of the right option of a
/// benchmark-style question. Null fields are unknown and earn no reward either way.
/// </summary>
public sealed record VerifiableAnswer(string? Direction, bool? Significant, double? LogRatio, int? OptionIndex);

/// <summary>
/// A prompt whose answer can be checked, as trace-generator serves it
/// (<c>GET /api/datasets/{id}/prompts?split=&amp;kind=&amp;after=&amp;limit=</c>, <c>GET /api/prompts/{PromptId}</c>).
/// <paramref name="Kind"/>: <c>approximate-step</c> (one factor across two similar trials), <c>superiority</c>,
/// <c>comparative</c>, <c>endpoint-met</c> (CT Open classes built from reported analyses) or <c>evidence-inference</c>.
/// <paramref name="Options"/> lists the answer options of a question (null for a step). Split by trial (or article), as
/// the SFT examples.
/// </summary>
public sealed record VerifiablePromptRecord(
    Guid PromptId,
    Guid DatasetId,
    string Kind,
    string? Factor,
    string Split,
    IReadOnlyList<string> SourceIds,
    int TemplateVersion,
    string System,
    string Prompt,
    IReadOnlyList<string>? Options,
    VerifiableAnswer Gold);

/// <summary>How rollouts are sampled.</summary>
public sealed record SamplingSettings(int MaxNewTokens, double Temperature, double TopP, int TopK, int? Seed);

/// <summary>One prompt to roll out <c>GroupSize</c> times; <paramref name="GroupId"/> names the group (idempotency key).</summary>
public sealed record RolloutPrompt(Guid GroupId, Guid PromptId, string System, string Prompt);

/// <summary>
/// gpu-learner → rollout-generator: sample <paramref name="GroupSize"/> completions for each prompt with the policy
/// <paramref name="ModelName"/> v<paramref name="PolicyVersion"/> from the model store.
/// </summary>
public sealed record RolloutsRequested(
    Guid JobId,
    Guid BatchId,
    string ModelName,
    int PolicyVersion,
    int GroupSize,
    SamplingSettings Sampling,
    IReadOnlyList<RolloutPrompt> Prompts,
    DateTimeOffset At);

/// <summary>One sampled completion: its text and how it ended (<c>eos</c> or <c>length</c>).</summary>
public sealed record RolloutCompletion(int Index, string Text, int TokenCount, string FinishReason);

/// <summary>
/// rollout-generator → reward-verifier and gpu-learner: one group was generated (once, by one worker). The token ids
/// and the sampler's per-token log-probs stay in rollout-generator's store and are read by reference
/// (<c>GET /api/rollouts/{GroupId}</c>), not carried here.
/// </summary>
public sealed record RolloutsGenerated(
    Guid JobId,
    Guid BatchId,
    Guid GroupId,
    Guid PromptId,
    string ModelName,
    int PolicyVersion,
    IReadOnlyList<RolloutCompletion> Completions,
    string Worker,
    double TokensPerSecond,
    DateTimeOffset At);

/// <summary>
/// The reward of one completion with every component kept for audit (e.g. <c>format</c>, <c>direction</c>,
/// <c>significance</c>, <c>option</c>, <c>magnitude</c>). <paramref name="Reward"/> is null when the gold answer is
/// unknown; its <paramref name="Advantage"/> is then 0.
/// </summary>
public sealed record CompletionReward(int Index, double? Reward, double Advantage, bool Parseable, IReadOnlyDictionary<string, double> Components);

/// <summary>reward-verifier → gpu-learner: a group's rewards, with group-relative advantages (r − mean) / (std + ε).</summary>
public sealed record RewardsVerified(
    Guid JobId,
    Guid BatchId,
    Guid GroupId,
    Guid PromptId,
    string ModelName,
    int PolicyVersion,
    IReadOnlyList<CompletionReward> Rewards,
    DateTimeOffset At);

/// <summary>A rollout worker now serves this policy version (so it is always visible which weights generated what).</summary>
public sealed record PolicyActivated(string ModelName, int Version, string Worker, DateTimeOffset At);

/// <summary>One completion's tokens as rollout-generator stores them (<c>GET /api/rollouts/{groupId}</c>).</summary>
public sealed record RolloutTokens(int Index, IReadOnlyList<int> TokenIds, IReadOnlyList<float> LogProbs, string FinishReason);

/// <summary>A generated group as rollout-generator serves it: the prompt's token ids and every completion's tokens.</summary>
public sealed record RolloutGroupView(
    Guid GroupId,
    Guid JobId,
    Guid PromptId,
    string ModelName,
    int PolicyVersion,
    IReadOnlyList<int> PromptTokenIds,
    IReadOnlyList<RolloutTokens> Completions,
    string Worker,
    DateTimeOffset At);
