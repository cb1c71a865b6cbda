using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Generating_at_the_edges
{
    private static readonly IReadOnlyList<string> Prompts = Training.Examples.Select(Training.Prompt).ToList();

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(1e-9)]
    public void Keeps_the_most_likely_token_when_top_p_leaves_nothing(double topP)
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 43);
        var greedy = TextGenerator.Generate(model, Corpus.Tokenizer, Prompts, new GenerationOptions { MaxNewTokens = 6, StopTokenIds = [] });

        var sampled = TextGenerator.Generate(model, Corpus.Tokenizer, Prompts, new GenerationOptions { MaxNewTokens = 6, Temperature = 1.5, TopP = topP, Seed = 4, StopTokenIds = [] });

        Assert.Equal(greedy.Select(r => r.Tokens), sampled.Select(r => r.Tokens));
    }

    [Fact]
    public void Scores_generated_tokens_with_the_log_probabilities_generation_reported()
    {
        var prompts = Prompts.Select(p => Corpus.Tokenizer.Encode(p)).ToList();
        var generated = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, prompts, new GenerationOptions { MaxNewTokens = 8, StopTokenIds = [] });

        using var _ = no_grad();
        var (logProbs, mask) = TokenLogProbs.OfCompletions(Training.OverfittedModel, prompts, generated.Select(g => g.Tokens).ToList(), Corpus.Tokenizer.PadId);

        Assert.Equal(generated.Count * 8, mask.sum().item<long>());
        for (var b = 0; b < generated.Count; b++)
            for (var t = 0; t < 8; t++)
                Assert.Equal(generated[b].LogProbs[t], logProbs[b, t].item<float>(), 3);
    }

    private static long ProcessKb(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Does_not_keep_memory_from_earlier_steps_during_long_generation()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 44);
        var prompts = Enumerable.Range(0, 8).Select(b => (IReadOnlyList<int>)Enumerable.Range(10 + b, 16).ToList()).ToList();
        var options = new GenerationOptions { MaxNewTokens = 1500, StopTokenIds = [] };
        TextGenerator.Generate(model, Corpus.Tokenizer, prompts, options with { MaxNewTokens = 64 }); // warm-up
        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5"); // reset the peak (VmHWM) to the current resident size
        var before = ProcessKb("VmRSS");

        var results = TextGenerator.Generate(model, Corpus.Tokenizer, prompts, options);

        var growthMb = (ProcessKb("VmHWM") - before) / 1024.0;
        Assert.All(results, r => Assert.Equal(1500, r.Tokens.Count));
        // The KV cache needs 8 × 1,516 positions × 2 layers × 2 × 2 heads × 16 × 4 bytes ≈ 3 MB; keeping every step's
        // token and mask tensors (the old behaviour) would hold about 8 × 16 bytes × 1,500² / 2 ≈ 140 MB.
        Assert.True(growthMb < 40, $"peak resident growth {growthMb:0.0} MB over 1,500 steps");
    }
}
