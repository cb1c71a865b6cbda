namespace DeepImagine.Model.Grpo;

/// <summary>
/// One sampled completion: its tokens (the stop token included when it stopped), the sampler's log-prob of each, whether
/// the length limit cut it, and its reward (null: the gold answer is unknown).
/// </summary>
public sealed record GrpoCompletion(IReadOnlyList<int> Tokens, IReadOnlyList<float> SamplerLogProbs, bool Truncated, double? Reward);

/// <summary>The completions sampled for one prompt (its token ids, chat template applied), compared with each other.</summary>
public sealed record GrpoGroup(IReadOnlyList<int> PromptTokens, IReadOnlyList<GrpoCompletion> Completions);

/// <summary>
/// What one GRPO step saw and did. Shares are of completions (truncation, ratio mask), of groups (zero std) or of
/// learned tokens (clip fractions); <see cref="Kl"/> is the mean k3 estimate per learned token, null when β is 0.
/// <see cref="Skipped"/>: nothing was learnable (every group's rewards equal, or every completion masked).
/// </summary>
public sealed record GrpoStepStats(
    long Step,
    double Loss,
    double LearningRate,
    double GradNorm,
    double RewardMean,
    double RewardStd,
    int Groups,
    int ZeroStdGroups,
    int Completions,
    double CompletionLengthMean,
    int CompletionLengthMax,
    double TruncationRate,
    double Entropy,
    double ClipLowFraction,
    double ClipHighFraction,
    double LogProbGap,
    int RatioMasked,
    double? Kl,
    long LearnedTokens,
    double TokensPerSecond,
    bool Skipped)
{
    public double ZeroStdShare => Groups == 0 ? 0 : (double)ZeroStdGroups / Groups;

    /// <summary>Every statistic by its metric name (as the job records them).</summary>
    public IReadOnlyDictionary<string, double> ToMetrics()
    {
        var metrics = new Dictionary<string, double>
        {
            ["loss"] = Loss,
            ["learning_rate"] = LearningRate,
            ["grad_norm"] = GradNorm,
            ["reward_mean"] = RewardMean,
            ["reward_std"] = RewardStd,
            ["groups"] = Groups,
            ["zero_std_groups"] = ZeroStdGroups,
            ["zero_std_share"] = ZeroStdShare,
            ["completions"] = Completions,
            ["completion_length_mean"] = CompletionLengthMean,
            ["completion_length_max"] = CompletionLengthMax,
            ["truncation_rate"] = TruncationRate,
            ["entropy"] = Entropy,
            ["clip_low_fraction"] = ClipLowFraction,
            ["clip_high_fraction"] = ClipHighFraction,
            ["logprob_gap"] = LogProbGap,
            ["ratio_masked"] = RatioMasked,
            ["learned_tokens"] = LearnedTokens,
            ["learner_tps"] = TokensPerSecond,
            ["skipped"] = Skipped ? 1 : 0,
        };
        if (Kl is { } kl) metrics["kl"] = kl;
        return metrics;
    }
}
