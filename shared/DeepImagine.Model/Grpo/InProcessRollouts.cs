using System.Diagnostics;

namespace DeepImagine.Model.Grpo;

/// <summary>A prompt with a checkable answer: its chat messages (system and user) and the reward of a completion's text (null: unknown).</summary>
public sealed record VerifiablePrompt(IReadOnlyList<ChatMessage> Messages, Func<string, double?> Reward);

/// <summary>Sampled groups with the sampling side's throughput.</summary>
public sealed record SampledGroups(IReadOnlyList<GrpoGroup> Groups, IReadOnlyList<IReadOnlyList<string>> Texts, long GeneratedTokens, double Seconds)
{
    public double TokensPerSecond => GeneratedTokens / Math.Max(Seconds, 1e-9);
}

/// <summary>
/// Rollouts in the learner's own process, with the project's batched KV-cache generator: what the synthetic test and
/// the benchmark's reference use, and how the job scores its validation prompts greedily. The services' path does
/// the same through rollout-generator and reward-verifier.
/// </summary>
public static class InProcessRollouts
{
    /// <summary>
    /// The token ids of a prompt as the sampler sees it: the policy's own chat template (<see cref="ChatTokenizer.FormatChat"/>,
    /// with Qwen3's empty thinking block when the vocabulary has it) with the assistant turn opened. The one rendering of a
    /// policy prompt: rollout-generator samples from it and gpu-learner validates with it.
    /// </summary>
    public static IReadOnlyList<int> PromptTokens(ChatTokenizer tokenizer, IReadOnlyList<ChatMessage> messages) =>
        tokenizer.Encode(tokenizer.FormatChat(messages, addGenerationPrompt: true));

    /// <summary>Samples <paramref name="groupSize"/> completions of every prompt in one batch and scores each.</summary>
    public static SampledGroups Sample(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<VerifiablePrompt> prompts, int groupSize, GenerationOptions options)
    {
        if (groupSize <= 0) throw new ArgumentException($"groupSize must be positive (got {groupSize})", nameof(groupSize));
        var clock = Stopwatch.StartNew();
        var encoded = prompts.Select(p => PromptTokens(tokenizer, p.Messages)).ToList();
        var batch = encoded.SelectMany(p => Enumerable.Repeat(p, groupSize)).ToList();
        var results = TextGenerator.Generate(model, tokenizer, batch, options);
        var groups = new List<GrpoGroup>(prompts.Count);
        var texts = new List<IReadOnlyList<string>>(prompts.Count);
        for (var p = 0; p < prompts.Count; p++)
        {
            var mine = results.Skip(p * groupSize).Take(groupSize).ToList();
            groups.Add(new GrpoGroup(encoded[p], mine.Select(r => new GrpoCompletion(r.Tokens, r.LogProbs, r.FinishReason == StoppingCriteria.Length, prompts[p].Reward(r.Text))).ToList()));
            texts.Add(mine.Select(r => r.Text).ToList());
        }
        return new SampledGroups(groups, texts, results.Sum(r => r.Tokens.Count), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean reward of greedy answers (unknown rewards left out; NaN when none is known).</summary>
    public static double GreedyReward(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<VerifiablePrompt> prompts, int maxNewTokens)
    {
        var sampled = Sample(model, tokenizer, prompts, 1, new GenerationOptions { MaxNewTokens = maxNewTokens });
        var known = sampled.Groups.SelectMany(g => g.Completions).Select(c => c.Reward).OfType<double>().ToList();
        return known.Count == 0 ? double.NaN : known.Average();
    }
}

/// <summary>
/// The whole GRPO loop in one process: sample groups of the current policy, score them, train one step. The synthetic
/// test and the benchmark's in-process reference run it; the job runs the same trainer on groups that come from the
/// services.
/// </summary>
public sealed class InProcessGrpo(Qwen3ForCausalLM model, ChatTokenizer tokenizer, GrpoTrainer trainer, int groupSize, GenerationOptions sampling)
{
    public (GrpoStepStats Stats, SampledGroups Sampled) Step(IReadOnlyList<VerifiablePrompt> prompts)
    {
        // A fresh seed per step, derived from the base seed: the run is reproducible, the samples differ between steps.
        var sampled = InProcessRollouts.Sample(model, tokenizer, prompts, groupSize, sampling with { Seed = sampling.Seed * 1_000_003 + trainer.Step });
        return (trainer.Train(sampled.Groups), sampled);
    }
}
