using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Training_correctly
{
    private static readonly SftExample Short = new([new("user", "Dose?"), new("assistant", "Higher.")]);
    private static readonly SftExample Long = Training.Examples[3];
    private static readonly SftExample Unanswered = new([new("user", "Semaglutide 1.0 mg vs 0.5 mg, HbA1c change at week 30?")]);

    [Fact]
    public void Weighs_every_learned_token_equally_when_accumulating_micro_batches_of_different_lengths()
    {
        var config = TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize);
        using var whole = Qwen3ForCausalLM.CreateRandom(config, seed: 33);
        using var accumulated = Qwen3ForCausalLM.CreateRandom(config, seed: 33);
        var options = Training.Options with { MaxSteps = 1, WarmupSteps = 1, MaxGradNorm = 1e9 };
        SftExample[] mixed = [Short, Long];

        using var wholeTrainer = new SftTrainer(whole, Corpus.Tokenizer, options with { BatchSize = 2 });
        using var accumulatedTrainer = new SftTrainer(accumulated, Corpus.Tokenizer, options with { BatchSize = 1, GradientAccumulation = 2 });
        var a = wholeTrainer.Train(mixed);
        var b = accumulatedTrainer.Train(mixed);

        Assert.Equal(a[0].LearnedTokens, b[0].LearnedTokens);
        Assert.Equal(a[0].Loss, b[0].Loss, tolerance: 1e-5);
        Assert.Equal(a[0].GradNorm, b[0].GradNorm, tolerance: 1e-4);
        // The updates agree too (compared through the loss after the step: Adam's first step moves every parameter by
        // about ±lr, so single parameters with near-zero gradients differ by rounding noise, which a max would pick up).
        Assert.Equal(wholeTrainer.Evaluate(mixed), accumulatedTrainer.Evaluate(mixed), tolerance: 1e-4);
    }

    [Fact]
    public void Leaves_batches_without_assistant_tokens_out_of_the_evaluation_loss()
    {
        using var trainer = new SftTrainer(Training.OverfittedModel, Corpus.Tokenizer, Training.Options with { BatchSize = 1 });

        var answered = trainer.Evaluate([Long]);
        var mixed = trainer.Evaluate([Long, Unanswered]);

        Assert.False(double.IsNaN(mixed));
        Assert.Equal(answered, mixed, 6);
    }

    [Fact]
    public void Skips_the_update_of_a_step_without_assistant_tokens()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 34);
        var before = model.parameters().Select(p => p.clone()).ToList();
        using var trainer = new SftTrainer(model, Corpus.Tokenizer, Training.Options with { MaxSteps = 2, WarmupSteps = 1, WeightDecay = 0.1 });

        var history = trainer.Train([Unanswered]);

        Assert.All(history, h => Assert.Equal(0, h.LearnedTokens));
        Assert.All(history, h => Assert.False(double.IsNaN(h.Loss)));
        Assert.All(model.parameters().Zip(before), p => Assert.Equal(0f, (p.First - p.Second).abs().max().item<float>()));
    }

    [Fact]
    public void Decays_weight_matrices_but_not_norm_weights_or_biases()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 35);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        using var optimizer = OptimizerSetup.AdamW(model, learningRate: 0.1, weightDecay: 0.5);
        optimizer.zero_grad();
        // Zero gradients: Adam's own update is 0, so each parameter changes by weight decay alone.
        (model.Logits(tensor(new long[,] { { 1, 2, 3 } })).sum() * 0).backward();
        optimizer.step();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var expected = OptimizerSetup.IsDecayed(name) ? before[name] * (1 - 0.1 * 0.5) : before[name];
            Assert.True((parameter - expected).abs().max().item<float>() < 1e-6, name);
        }
        Assert.False(OptimizerSetup.IsDecayed("model.layers.0.self_attn.q_norm.weight"));
        Assert.False(OptimizerSetup.IsDecayed("model.norm.weight"));
        Assert.False(OptimizerSetup.IsDecayed("model.layers.0.self_attn.q_proj.bias"));
        Assert.True(OptimizerSetup.IsDecayed("model.embed_tokens.weight"));
        Assert.True(OptimizerSetup.IsDecayed("model.layers.0.mlp.up_proj.weight"));
    }
    [Fact]
    public void Gives_an_emphasized_span_its_weight_and_every_other_token_weight_one()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 37);
        using var trainer = new SftTrainer(model, Corpus.Tokenizer, Training.Options);
        var answer = Training.Examples[1].Messages[1].Content;
        var span = answer.IndexOf("-1.85", StringComparison.Ordinal);
        var emphasized = Training.Examples[1] with { Emphasis = [new TokenEmphasis(span, "-1.85".Length, 4)] };

        var (ids, _) = trainer.Encode([emphasized])[0];
        var weights = trainer.EncodeWeights([emphasized])[0];

        var heavy = ids.Where((_, i) => weights[i] == 4f).Select(i => (int)i).ToList();
        Assert.Contains("1.85", Corpus.Tokenizer.Decode(heavy), StringComparison.Ordinal);
        Assert.DoesNotContain("Lower", Corpus.Tokenizer.Decode(heavy), StringComparison.Ordinal);
        Assert.All(weights, w => Assert.True(w == 1f || w == 4f, $"weight {w}"));
        Assert.Equal(ids.Length, weights.Length);
    }

    [Fact]
    public void Scales_the_loss_of_the_emphasized_tokens_only()
    {
        var options = Training.Options with { MaxSteps = 1, WarmupSteps = 1, BatchSize = 1 };
        var answer = Training.Examples[0].Messages[1].Content;
        var span = answer.IndexOf("(A)", StringComparison.Ordinal);
        double FirstLoss(double weight)
        {
            // The same fresh model each time: the first step's loss is computed before any update.
            using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 39);
            using var trainer = new SftTrainer(model, Corpus.Tokenizer, options);
            var example = Training.Examples[0] with { Emphasis = [new TokenEmphasis(span, 3, weight)] };
            return trainer.Train([example])[0].Loss;
        }

        var one = FirstLoss(1);
        var two = FirstLoss(2);
        var three = FirstLoss(3);

        // Linear in the span's weight, and only the span's share moves: the rest of the answer adds the same each time.
        Assert.True(two > one, $"weight 2 gave {two}, weight 1 {one}");
        Assert.Equal(two - one, three - two, 4);
        Assert.True(two - one < one, "the span is a part of the answer's loss, not all of it");
    }

    [Fact]
    public void Refuses_an_emphasis_outside_the_answer()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 41);
        using var trainer = new SftTrainer(model, Corpus.Tokenizer, Training.Options);
        var example = Training.Examples[0] with { Emphasis = [new TokenEmphasis(0, 10_000, 2)] };

        var error = Assert.Throws<ArgumentException>(() => trainer.EncodeWeights([example]));
        Assert.Contains("outside the answer", error.Message, StringComparison.Ordinal);
    }
}
