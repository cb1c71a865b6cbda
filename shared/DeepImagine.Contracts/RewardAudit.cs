namespace DeepImagine.Contracts.V1;

/// <summary>
/// One verified rollout group as reward-verifier keeps it for audit (<c>GET /api/rewards?jobId=&amp;after=&amp;limit=</c>,
/// <c>GET /api/rewards/groups/{GroupId}</c>): what <see cref="RewardsVerified"/> published, plus each completion's text
/// and why it did not parse. <paramref name="PublishedAt"/> is null until RewardsVerified was confirmed by the broker.
/// </summary>
public sealed record VerifiedGroupView(
    Guid GroupId,
    Guid JobId,
    Guid BatchId,
    Guid PromptId,
    string PromptKind,
    string ModelName,
    int PolicyVersion,
    string Worker,
    IReadOnlyList<VerifiedCompletionView> Completions,
    DateTimeOffset VerifiedAt,
    DateTimeOffset? PublishedAt);

/// <summary>One completion's reward with every component, its advantage, and its text as the policy wrote it.</summary>
public sealed record VerifiedCompletionView(
    int Index,
    string Text,
    int TokenCount,
    string FinishReason,
    double? Reward,
    double Advantage,
    bool Parseable,
    string? ParseError,
    IReadOnlyDictionary<string, double> Components);
