using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepImagine.Model;
using DeepImagine.Trials;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Cli;

/// <summary>
/// Model speed on the reference configuration (4 layers, width 256, 4 heads / 2 KV heads, vocab 8k, sequence 256,
/// 2 threads): training tokens/s, generation tokens/s (batch 1 and 16, 256 new tokens, with and without the KV cache),
/// peak memory, native memory over 1,000 training steps, resident memory growth while generating 2,048 tokens at batch 8,
/// supervised fine-tuning at two gradient-accumulation settings (the same loss curve expected), and the same model trained
/// by PyTorch (bench/model_bench.py).
/// </summary>
internal static class ModelBenchmark
{
    private const int Threads = 2;
    private const int Sequence = 256;
    private const int TrainBatch = 8;
    private const int NewTokens = 256;
    private const int LongBatch = 8;
    private const int LongNewTokens = 2048;
    private const int SftSteps = 12;

    public static Qwen3Config ReferenceConfig(int vocab) => new()
    {
        VocabSize = vocab, HiddenSize = 256, IntermediateSize = 768, NumHiddenLayers = 4,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 64, RopeTheta = 1_000_000, TieWordEmbeddings = true,
    };

    public static async Task<int> RunAsync(string dataPath, string? reportPath, bool skipPyTorch, CancellationToken cancellationToken)
    {
        torch.set_num_threads(Threads);
        var clock = Stopwatch.StartNew();
        var texts = SourceFiles.Read([dataPath]).Select(r => r.Text).ToList();
        var tokenizer = BpeTrainer.Train(texts, vocabSize: 8192);
        var bpeSeconds = clock.Elapsed.TotalSeconds;
        var config = ReferenceConfig(tokenizer.VocabSize);
        Console.WriteLine($"tokenizer vocab={tokenizer.VocabSize} trained_in_s={bpeSeconds:0.0}");

        using var model = Qwen3ForCausalLM.CreateRandom(config, seed: 1);
        var parameters = model.parameters().Sum(p => p.NumberOfElements);
        var trainTps = TrainTokensPerSecond(model, config, TrainBatch, Sequence, warmup: 2, steps: 6);
        Console.WriteLine($"train batch={TrainBatch} seq={Sequence} tokens_per_s={trainTps:0}");

        var prompt = Enumerable.Range(0, 16).Select(i => 100 + i * 37 % 4000).ToList();
        double Gen(int batch, bool cache)
        {
            var prompts = Enumerable.Range(0, batch).Select(b => (IReadOnlyList<int>)prompt.Select(t => t + b).ToList()).ToList();
            var options = new GenerationOptions { MaxNewTokens = NewTokens, StopTokenIds = [], UseCache = cache };
            TextGenerator.Generate(model, tokenizer, prompts.Take(1).ToList(), options with { MaxNewTokens = 8 }); // warm-up
            var watch = Stopwatch.StartNew();
            var results = TextGenerator.Generate(model, tokenizer, prompts, options);
            var generated = results.Sum(r => r.Tokens.Count);
            return generated / watch.Elapsed.TotalSeconds;
        }
        var genB1 = Gen(1, cache: true);
        Console.WriteLine($"generate batch=1 cache tokens_per_s={genB1:0}");
        var genB16 = Gen(16, cache: true);
        Console.WriteLine($"generate batch=16 cache tokens_per_s={genB16:0}");
        var genNoCacheB1 = Gen(1, cache: false);
        Console.WriteLine($"generate batch=1 no-cache tokens_per_s={genNoCacheB1:0}");
        var peakMb = ProcessMemory("VmHWM") / 1024.0;

        var (longTps, longGrowthMb, longCacheMb) = LongGeneration(model, tokenizer, prompt);
        Console.WriteLine($"generate batch={LongBatch} new_tokens={LongNewTokens} cache tokens_per_s={longTps:0} rss_growth_mb={longGrowthMb:0.0} kv_cache_mb={longCacheMb:0.0}");

        var (curveWhole, curveAccumulated) = AccumulationCurves(texts, tokenizer, config);
        var maxLossDifference = curveWhole.Zip(curveAccumulated).Max(p => Math.Abs(p.First - p.Second));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sft batch=8x1 loss {string.Join(" ", curveWhole.Select(l => l.ToString("0.0000", CultureInfo.InvariantCulture)))}\nsft batch=2x4 loss {string.Join(" ", curveAccumulated.Select(l => l.ToString("0.0000", CultureInfo.InvariantCulture)))}\nsft max_abs_loss_difference={maxLossDifference:0.000000}"));

        // Native memory over 1,000 training steps (small batches, so the run takes a minute).
        var (rssAt100, rssAt1000) = MemoryOverSteps(model, config);
        var growthMb = (rssAt1000 - rssAt100) / 1024.0;
        Console.WriteLine($"memory rss_mb_early={rssAt100 / 1024.0:0} rss_mb_late={rssAt1000 / 1024.0:0} growth_mb={growthMb:0.0} peak_mb={peakMb:0}");

        double? pytorchTps = null, pytorchTwoThreads = null;
        string pytorchNote = "not run";
        if (!skipPyTorch)
        {
            // One thread, as specified; Debian's build with OpenBLAS's own threads is slower with two (measured too).
            (pytorchTps, pytorchNote) = await RunPyTorchAsync(config, threads: 1, cancellationToken);
            (pytorchTwoThreads, _) = await RunPyTorchAsync(config, threads: 2, cancellationToken);
            Console.WriteLine($"pytorch {pytorchNote} tokens_per_s={pytorchTps:0} (2 threads: {pytorchTwoThreads:0})");
        }

        if (reportPath is not null)
        {
            var bestPyTorch = new[] { pytorchTps, pytorchTwoThreads }.Where(x => x is not null).Select(x => x!.Value).DefaultIfEmpty(double.NaN).Max();
            var ratio = double.IsNaN(bestPyTorch) ? "n/a" : $"{trainTps / bestPyTorch:0.00}×";
            BenchmarkReport.Update(reportPath, "model", $"""
                ## Model core (`make bench-model`)

                Reference configuration: Qwen3 architecture, 4 layers, width 256, intermediate 768, 4 heads / 2 KV heads (head dim 64),
                tied embeddings, vocabulary {config.VocabSize:N0} (byte-level BPE trained on the bundled v2 records in {bpeSeconds:0} s), {parameters / 1e6:0.0}M
                parameters, float32, TorchSharp 0.107 (libtorch 2.10 CPU), {Threads} threads.

                | measure | value |
                |---|---|
                | training, batch {TrainBatch} × {Sequence} tokens, AdamW (tokens/s) | {trainTps:0} |
                | same model in PyTorch ({pytorchNote}) (tokens/s) | {(pytorchTps is { } pt ? pt.ToString("0", CultureInfo.InvariantCulture) : "n/a")} |
                | same model in PyTorch with 2 threads (tokens/s) | {(pytorchTwoThreads is { } p2 ? p2.ToString("0", CultureInfo.InvariantCulture) : "n/a")} |
                | TorchSharp / PyTorch training (PyTorch's faster setting) | {ratio} |
                | generation, batch 1, {NewTokens} new tokens, KV cache (tokens/s) | {genB1:0} |
                | generation, batch 16, {NewTokens} new tokens, KV cache (tokens/s) | {genB16:0} ({genB16 / genB1:0.0}× batch 1) |
                | generation, batch 1, {NewTokens} new tokens, no cache (tokens/s) | {genNoCacheB1:0} |
                | peak resident memory (MB) | {peakMb:0} |
                | resident memory over 1,000 training steps (batch 1 × 32): floor of steps 100–300 → floor of steps 800–1,000 (MB) | {rssAt100 / 1024.0:0} → {rssAt1000 / 1024.0:0} ({growthMb:+0.0;-0.0;0} MB) |
                | generation, batch {LongBatch}, {LongNewTokens:N0} new tokens, KV cache (tokens/s) | {longTps:0} |
                | peak resident memory growth during that generation (MB; its KV cache alone is {longCacheMb:0.0} MB) | {longGrowthMb:0.0} |
                | SFT loss, {SftSteps} steps, batch 8 × accumulation 1 | {string.Join(" ", curveWhole.Select(l => l.ToString("0.000", CultureInfo.InvariantCulture)))} |
                | SFT loss, {SftSteps} steps, batch 2 × accumulation 4 (same examples, answers of different lengths) | {string.Join(" ", curveAccumulated.Select(l => l.ToString("0.000", CultureInfo.InvariantCulture)))} |
                | largest difference between the two loss curves | {maxLossDifference:0.000000} |

                Targets: training at least 1.0× PyTorch; batch-16 generation at least 8× batch 1; no native memory growth over 1,000 steps;
                at most 64 MB resident growth while generating 2,048 tokens at batch 8; the same loss curve at both accumulation settings.
                Speeds depend on what else runs on the machine's cores at the time; memory figures and the loss curves do not.
                Command: `make bench-model` (`deepimagine bench model`), {BenchmarkReport.Machine()}, {DateTime.UtcNow:yyyy-MM-dd}.
                """);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"train_tps={trainTps:0} pytorch_train_tps={(pytorchTps is { } q ? q.ToString("0", CultureInfo.InvariantCulture) : "na")} gen_b1_tps={genB1:0} gen_b16_tps={genB16:0} gen_nocache_b1_tps={genNoCacheB1:0} sft_accumulation_max_loss_diff={maxLossDifference:0.000000} gen_long_rss_growth_mb={longGrowthMb:0.0}"));
        return 0;
    }

    /// <summary>
    /// Generation of <see cref="LongNewTokens"/> tokens at batch <see cref="LongBatch"/> (no stop tokens): tokens/s, the
    /// growth of the peak resident memory over the resident memory just before (the kernel's peak counter is reset
    /// first), and the size of the KV cache that growth includes.
    /// </summary>
    private static (double TokensPerSecond, double GrowthMb, double KvCacheMb) LongGeneration(Qwen3ForCausalLM model, ChatTokenizer tokenizer, IReadOnlyList<int> prompt)
    {
        var prompts = Enumerable.Range(0, LongBatch).Select(b => (IReadOnlyList<int>)prompt.Take(8 + b).ToList()).ToList(); // left padding too
        var options = new GenerationOptions { MaxNewTokens = LongNewTokens, StopTokenIds = [] };
        TextGenerator.Generate(model, tokenizer, prompts, options with { MaxNewTokens = 16 }); // warm-up
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5"); // VmHWM := VmRSS
        var before = ProcessMemory("VmRSS");
        var watch = Stopwatch.StartNew();
        var generated = TextGenerator.Generate(model, tokenizer, prompts, options).Sum(r => r.Tokens.Count);
        var seconds = watch.Elapsed.TotalSeconds;
        var growthMb = (ProcessMemory("VmHWM") - before) / 1024.0;
        var c = model.Config;
        var cacheBytes = 2.0 * c.NumHiddenLayers * LongBatch * (prompts.Max(p => p.Count) + LongNewTokens) * c.NumKeyValueHeads * c.HeadDim * 4;
        return (generated / seconds, growthMb, cacheBytes / (1 << 20));
    }

    /// <summary>
    /// The same SFT run (same model seed, same examples, answers of different lengths) at batch 8 × accumulation 1 and at
    /// batch 2 × accumulation 4: with token-weighted accumulation both see the same tokens per step and weigh them alike.
    /// </summary>
    private static (double[] Whole, double[] Accumulated) AccumulationCurves(IReadOnlyList<string> texts, ChatTokenizer tokenizer, Qwen3Config config)
    {
        var examples = texts.Take(64).Select((text, i) =>
        {
            var question = text[..Math.Min(text.Length, 300)];
            var answerLength = 20 + i * 97 % 400;
            var answer = text.Substring(Math.Min(300, text.Length / 2), Math.Min(answerLength, text.Length - Math.Min(300, text.Length / 2)));
            return new SftExample([new ChatMessage("user", question), new ChatMessage("assistant", answer)]);
        }).ToList();
        var options = new SftOptions { MaxSteps = SftSteps, WarmupSteps = 2, LearningRate = 1e-3, MaxSequenceLength = Sequence, Seed = 3, WeightDecay = 0.01 };
        double[] Curve(int batch, int accumulation)
        {
            using var model = Qwen3ForCausalLM.CreateRandom(config, seed: 5);
            using var trainer = new SftTrainer(model, tokenizer, options with { BatchSize = batch, GradientAccumulation = accumulation });
            return trainer.Train(examples).Select(p => p.Loss).ToArray();
        }
        return (Curve(8, 1), Curve(2, 4));
    }

    /// <summary>Forward, backward and an AdamW step on random tokens, as the SFT trainer does each step.</summary>
    internal static double TrainTokensPerSecond(Qwen3ForCausalLM model, Qwen3Config config, int batch, int sequence, int warmup, int steps)
    {
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-4);
        using var generator = new torch.Generator(7);
        var watch = new Stopwatch();
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) watch.Start();
            TrainStep(model, optimizer, generator, config.VocabSize, batch, sequence);
        }
        return (double)batch * sequence * steps / watch.Elapsed.TotalSeconds;
    }

    /// <summary>One language-modelling step on random tokens, in its own dispose scope.</summary>
    private static void TrainStep(Qwen3ForCausalLM model, optim.Optimizer optimizer, torch.Generator generator, int vocab, int batch, int sequence)
    {
        using var scope = NewDisposeScope();
        var ids = randint(0, vocab, [batch, sequence], generator: generator);
        optimizer.zero_grad();
        var logits = model.Logits(ids);
        nn.functional.cross_entropy(logits[.., ..^1, ..].reshape(-1, vocab), ids[.., 1..].reshape(-1)).backward();
        optimizer.step();
    }

    /// <summary>
    /// Resident memory sampled every 50 steps over 1,000 training steps: the lowest sample of steps 100–300 against the
    /// lowest of steps 800–1,000 (the allocator briefly holds freed blocks, so single samples spike; a leak raises the floor).
    /// </summary>
    private static (long EarlyKb, long LateKb) MemoryOverSteps(Qwen3ForCausalLM model, Qwen3Config config)
    {
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-4);
        using var generator = new torch.Generator(9);
        var samples = new List<(int Step, long Kb)>();
        for (var step = 1; step <= 1000; step++)
        {
            TrainStep(model, optimizer, generator, config.VocabSize, 1, 32);
            if (step >= 100 && step % 50 == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                samples.Add((step, ProcessMemory("VmRSS")));
            }
        }
        return (samples.Where(s => s.Step <= 300).Min(s => s.Kb), samples.Where(s => s.Step >= 800).Min(s => s.Kb));
    }

    /// <summary>A /proc/self/status figure in kB (VmRSS, VmHWM).</summary>
    private static long ProcessMemory(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static async Task<(double? TokensPerSecond, string Note)> RunPyTorchAsync(Qwen3Config config, int threads, CancellationToken cancellationToken)
    {
        var script = Path.Combine("bench", "model_bench.py");
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script)) return (null, "no /usr/bin/python3 or bench/model_bench.py");
        var start = new ProcessStartInfo("/usr/bin/python3", [script, "--vocab", config.VocabSize.ToString(CultureInfo.InvariantCulture),
            "--batch", TrainBatch.ToString(CultureInfo.InvariantCulture), "--seq", Sequence.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) return (null, $"failed: {error.Trim().Split('\n').LastOrDefault()}");
        using var result = JsonDocument.Parse(output.Trim().Split('\n').Last());
        var root = result.RootElement;
        return (root.GetProperty("train_tps").GetDouble(), $"torch {root.GetProperty("torch").GetString()}, {root.GetProperty("threads").GetInt32()} thread(s)");
    }
}
