using System.Globalization;
using DeepImagine.Contracts.V1;
using DeepImagine.Model;
using DeepImagine.Model.Store;
using DeepImagine.RolloutGenerator.Rollouts;
using DeepImagine.Trials;

namespace DeepImagine.Cli;

/// <summary>
/// <c>bench rollouts</c>: rollout-generator's sampling path in process (a policy loaded with <see cref="ModelStore.Load"/>
/// from a temporary store, <see cref="RolloutSampler"/> with the KV-cache batched generator): one batch of
/// <c>prompts × group size</c> rows, at the tiny test size and at gpu-learner's default pretrain size. Random weights, so
/// nearly every row runs to the token budget (the figure is decoding speed, not answer length). No bus or database.
/// </summary>
internal static class RolloutBenchmark
{
    private const string Section = "rollouts";
    private static readonly SamplingSettings Warmup = new(4, 1.0, 1.0, 0, 1);

    private static Qwen3Config Tiny(int vocab) => new()
    {
        VocabSize = vocab, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8,
        RopeTheta = 10_000, MaxPositionEmbeddings = 4096, TieWordEmbeddings = true,
    };

    /// <summary>gpu-learner's pretrain defaults (JobSettings: hidden 128, intermediate 384, 2 layers, 4 / 2 heads, head dim 32).</summary>
    private static Qwen3Config Default(int vocab) => new()
    {
        VocabSize = vocab, HiddenSize = 128, IntermediateSize = 384, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 32,
        RopeTheta = 10_000, MaxPositionEmbeddings = 4096, TieWordEmbeddings = true,
    };

    public static Task<int> RunAsync(string dataPath, int prompts, int groupSize, int maxNewTokens, string? reportPath, CancellationToken cancellationToken)
    {
        if (prompts < 1) throw new ArgumentException($"--prompts must be at least 1 (got {prompts})");
        if (groupSize < 1) throw new ArgumentException($"--group-size must be at least 1 (got {groupSize})");
        if (maxNewTokens < 1) throw new ArgumentException($"--max-new-tokens must be at least 1 (got {maxNewTokens})");
        var texts = SourceFiles.Read([dataPath]).Select(r => r.Text).Take(400).ToList();
        if (texts.Count == 0) throw new ArgumentException($"no records in '{dataPath}' to build the vocabulary and prompts from");
        var tokenizer = BpeTrainer.Train(texts, vocabSize: 4096);
        // Step-sized prompts: the opening of real registry text.
        var batch = Enumerable.Range(0, prompts)
            .Select(i => new RolloutPrompt(Guid.NewGuid(), Guid.NewGuid(), "You imagine how one change alters a trial's result.", texts[i % texts.Count][..Math.Min(600, texts[i % texts.Count].Length)]))
            .ToList();
        var sampling = new SamplingSettings(maxNewTokens, 1.0, 1.0, 0, 1);
        var root = Path.Combine(Path.GetTempPath(), "deepimagine-bench-rollouts-" + Guid.NewGuid().ToString("N"));
        var rows = new List<(string Size, long Parameters, int PromptTokens, int Tokens, double Seconds, double TokensPerSecond)>();
        try
        {
            var store = new ModelStore(root);
            foreach (var (size, config) in new[] { ("tiny", Tiny(tokenizer.VocabSize)), ("default", Default(tokenizer.VocabSize)) })
            {
                cancellationToken.ThrowIfCancellationRequested();
                config.EosTokenId = tokenizer.ImEndId;
                var staging = store.NewStagingDirectory(size);
                using (var random = Qwen3ForCausalLM.CreateRandom(config, seed: 1))
                    Checkpoint.Save(random, staging, new CheckpointMetadata { Note = "bench rollouts" }, tokenizer: tokenizer);
                var version = store.Publish(size, staging, new VersionDescription(ModelStore.BaseKind, null, null, null, new Dictionary<string, double>()));
                using var policy = store.Load(size, version.Manifest.Version, TorchDevice.Default, mergeAdapters: true, verify: true);
                RolloutSampler.Sample(policy, batch.Take(1).ToList(), 1, Warmup, 1);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var (groups, tokensPerSecond) = RolloutSampler.Sample(policy, batch, groupSize, sampling, 7);
                var seconds = clock.Elapsed.TotalSeconds;
                var tokens = groups.Sum(g => g.Completions.Sum(c => c.Tokens.Count));
                var parameters = policy.Model.parameters().Sum(p => p.NumberOfElements);
                var promptTokens = (int)groups.Average(g => g.PromptTokenIds.Count);
                rows.Add((size, parameters, promptTokens, tokens, seconds, tokensPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"size={size} params={parameters} device={TorchDevice.Default} rows={prompts}x{groupSize} prompt_tokens~{promptTokens} generated={tokens} seconds={seconds:0.00} rollout_tps={tokensPerSecond:0}"));
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (reportPath is not null)
        {
            BenchmarkReport.Update(reportPath, Section, $"""
                ## Rollouts (`make bench-rollouts`)

                rollout-generator's sampling path in process: a base policy with random weights written to a temporary model store
                and loaded with `ModelStore.Load`, {prompts} prompts (system text + the first 600 characters of a bundled record) ×
                group size {groupSize} = {prompts * groupSize} rows in one left-padded batch, KV-cache generation, temperature 1, at most
                {maxNewTokens} new tokens (random weights rarely stop early), vocabulary {tokenizer.VocabSize:N0}, float32 on {TorchDevice.Default}.

                | size | parameters | prompt tokens (mean) | tokens generated | seconds | rollout tokens/s |
                |---|---|---|---|---|---|
                {string.Join("\n", rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"| {r.Size} | {r.Parameters / 1e6:0.00}M | {r.PromptTokens} | {r.Tokens} | {r.Seconds:0.0} | {r.TokensPerSecond:0} |")))}
                """);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rollout_tps_tiny={rows[0].TokensPerSecond:0} rollout_tps_default={rows[1].TokensPerSecond:0}"));
        return Task.FromResult(0);
    }
}
