using System.Diagnostics;
using DeepImagine.Contracts.V1;
using DeepImagine.Model;
using DeepImagine.Model.Grpo;
using DeepImagine.Model.Store;

namespace DeepImagine.RolloutGenerator.Rollouts;

/// <summary>A prompt's sampled group: the prompt's token ids (chat template applied) and its completions, in row order.</summary>
public sealed record SampledGroup(RolloutPrompt Prompt, IReadOnlyList<int> PromptTokenIds, IReadOnlyList<GenerationResult> Completions);

/// <summary>
/// Samples groups with the model core's KV-cache batched generator: every prompt rendered with the policy's chat template,
/// repeated GroupSize times, all prompts' rows in one left-padded batch. Each token's log-prob is the policy's own
/// (before temperature, top-k and top-p), which is what the learner recomputes.
/// </summary>
public static class RolloutSampler
{
    public const string Eos = "eos";
    public const string Length = "length";

    /// <summary>The chat the policy continues: the prompt's system text (when given) and its user text, then the assistant's turn.</summary>
    public static IReadOnlyList<int> PromptTokens(ChatTokenizer tokenizer, RolloutPrompt prompt)
    {
        IReadOnlyList<ChatMessage> messages = string.IsNullOrEmpty(prompt.System)
            ? [new ChatMessage("user", prompt.Prompt)]
            : [new ChatMessage("system", prompt.System), new ChatMessage("user", prompt.Prompt)];
        return InProcessRollouts.PromptTokens(tokenizer, messages);
    }

    public static (IReadOnlyList<SampledGroup> Groups, double TokensPerSecond) Sample(LoadedModel policy, IReadOnlyList<RolloutPrompt> prompts,
        int groupSize, SamplingSettings sampling, long seed)
    {
        var promptTokens = prompts.Select(p => PromptTokens(policy.Tokenizer, p)).ToList();
        var rows = promptTokens.SelectMany(ids => Enumerable.Repeat(ids, groupSize)).ToList();
        var clock = Stopwatch.StartNew();
        var results = TextGenerator.Generate(policy.Model, policy.Tokenizer, rows, new GenerationOptions
        {
            MaxNewTokens = sampling.MaxNewTokens,
            Temperature = sampling.Temperature,
            TopK = sampling.TopK,
            TopP = sampling.TopP,
            Seed = seed,
            StopTokenIds = [policy.Tokenizer.ImEndId, policy.Tokenizer.EndOfTextId],
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var groups = prompts.Select((p, i) => new SampledGroup(p, promptTokens[i],
            results.Skip(i * groupSize).Take(groupSize).Select(r => r with { FinishReason = FinishReason(r.FinishReason) }).ToList())).ToList();
        var tokens = results.Sum(r => r.Tokens.Count);
        return (groups, seconds > 0 ? tokens / seconds : 0);
    }

    /// <summary>The contract's two endings: a stop token is <c>eos</c>, running out of new tokens is <c>length</c>.</summary>
    public static string FinishReason(string generatorReason) => generatorReason switch
    {
        StoppingCriteria.StopToken => Eos,
        StoppingCriteria.Length => Length,
        _ => throw new InvalidOperationException($"generation ended with '{generatorReason}', which rollouts do not use (no stop strings)"),
    };
}
