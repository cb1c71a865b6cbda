using DeepImagine.Model.Grpo;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

/// <summary>What one GRPO step learns from and what it leaves out, on a tiny random model.</summary>
public class Training_with_grpo
{
    private static readonly Qwen3Config Config = TinyModels.Config(vocab: 64);
    private static readonly int[] Prompt = [1, 2, 3];

    private static GrpoCompletion Completion(Qwen3ForCausalLM model, int[] tokens, double? reward, bool truncated = false)
    {
        // The sampler's log-probs are the model's own (an on-policy sample), unless a test distorts them.
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logProbs = TokenLogProbs.OfCompletions(model, [Prompt], [tokens], padId: 0).LogProbs;
        return new GrpoCompletion(tokens, logProbs[0].data<float>().ToArray(), truncated, reward);
    }

    private static Dictionary<string, Tensor> Weights(Qwen3ForCausalLM model) => model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void A_group_whose_rewards_are_all_equal_is_counted_and_changes_nothing()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 3);
        using var trainer = new GrpoTrainer(model, padId: 0, new GrpoOptions { LearningRate = 1e-2 });
        var before = Weights(model);
        var stats = trainer.Train([new GrpoGroup(Prompt, [Completion(model, [4, 5], 1), Completion(model, [6], 1)])]);
        Assert.True(stats.Skipped);
        Assert.Equal(1, stats.ZeroStdGroups);
        Assert.Equal(1.0, stats.ZeroStdShare);
        Assert.Equal(1, stats.Step);
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.allclose(before[p.name], rtol: 0, atol: 0), p.name));
    }

    [Fact]
    public void Truncated_completions_and_those_far_from_the_sampler_are_left_out_of_the_loss()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 3);
        using var trainer = new GrpoTrainer(model, padId: 0, new GrpoOptions { LearningRate = 1e-2, RatioMaskBound = 1.0 });
        var distorted = Completion(model, [9, 10, 11, 12], 0) is var d ? d with { SamplerLogProbs = d.SamplerLogProbs.Select(l => l - 5f).ToList() } : null!;
        var stats = trainer.Train([new GrpoGroup(Prompt,
        [
            Completion(model, [4, 5], 1),
            Completion(model, [6, 7, 8], 0, truncated: true),
            distorted,
            Completion(model, [13], 0),
        ])]);
        // Learned: the 2 tokens of the first and the 1 of the last; the truncated one (3) and the distorted one (4, gap 5) are out.
        Assert.Equal(3, stats.LearnedTokens);
        Assert.Equal(1, stats.RatioMasked);
        Assert.Equal(0.25, stats.TruncationRate);
        Assert.Equal(4, stats.CompletionLengthMax);
        Assert.Equal(2.5, stats.CompletionLengthMean);
        Assert.Equal(0.25, stats.RewardMean);
        Assert.False(stats.Skipped);
        Assert.True(stats.GradNorm > 0);
        // On-policy rows have gap 0, the distorted one 5: mean over the four rows.
        Assert.Equal(5.0 / 4, stats.LogProbGap, 3);
    }

    [Fact]
    public void A_positive_advantage_makes_its_completion_more_likely()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 4);
        using var trainer = new GrpoTrainer(model, padId: 0, new GrpoOptions { LearningRate = 1e-2 });
        double LogLikelihood(int[] tokens)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return TokenLogProbs.OfCompletions(model, [Prompt], [tokens], 0).LogProbs.sum().item<float>();
        }
        var (good, bad) = (LogLikelihood([4, 5]), LogLikelihood([6, 7]));
        for (var i = 0; i < 3; i++) trainer.Train([new GrpoGroup(Prompt, [Completion(model, [4, 5], 1), Completion(model, [6, 7], 0)])]);
        Assert.True(LogLikelihood([4, 5]) > good, "the rewarded completion became more likely");
        Assert.True(LogLikelihood([6, 7]) < bad, "the unrewarded completion became less likely");
    }

    [Fact]
    public void The_reference_is_the_base_with_adapters_disabled_and_the_kl_starts_at_zero()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 5);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4 }).unsqueeze(0);
        Tensor Logits()
        {
            using var noGrad = no_grad();
            model.eval();
            return model.Logits(ids).detach().clone();
        }
        var baseLogits = Logits();
        model.AddLora(new LoraSettings(Rank: 4, Alpha: 8));
        using var trainer = new GrpoTrainer(model, padId: 0, new GrpoOptions { LearningRate = 5e-2, Beta = 0.1 });
        var first = trainer.Train([new GrpoGroup(Prompt, [Completion(model, [4, 5], 1), Completion(model, [6, 7], 0)])]);
        Assert.Equal(0.0, first.Kl!.Value, 6);
        trainer.Train([new GrpoGroup(Prompt, [Completion(model, [4, 5], 1), Completion(model, [6, 7], 0)])]);
        var adapted = Logits();
        Assert.True((adapted - baseLogits).abs().max().item<float>() > 1e-4, "training moved the adapted model");
        using (model.AdaptersDisabled())
        {
            Assert.True(Logits().allclose(baseLogits, rtol: 0, atol: 1e-6), "with adapters disabled the model is the base again");
        }
        Assert.True(Logits().allclose(adapted, rtol: 0, atol: 1e-6), "adapters come back once the reference pass is over");
    }

    [Fact]
    public void A_positive_beta_without_adapters_is_refused()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 3);
        var error = Assert.Throws<ArgumentException>(() => new GrpoTrainer(model, 0, new GrpoOptions { Beta = 0.1 }));
        Assert.Contains("LoRA", error.Message);
    }

    [Fact]
    public void A_saved_trainer_resumes_at_its_step_with_its_adapter()
    {
        var directory = Path.Combine(Path.GetTempPath(), "grpo-resume-" + Guid.NewGuid().ToString("N"));
        using var model = Qwen3ForCausalLM.CreateRandom(Config, seed: 6);
        model.AddLora(new LoraSettings(Rank: 4, Alpha: 8));
        using (var trainer = new GrpoTrainer(model, padId: 0, new GrpoOptions { LearningRate = 5e-2 }))
        {
            trainer.Train([new GrpoGroup(Prompt, [Completion(model, [4, 5], 1), Completion(model, [6, 7], 0)])]);
            trainer.Save(directory);
        }
        using var again = Qwen3ForCausalLM.CreateRandom(Config, seed: 6);
        Checkpoint.LoadAdapter(again, Path.Combine(directory, GrpoTrainer.AdapterDirectory));
        using var resumed = new GrpoTrainer(again, padId: 0, new GrpoOptions { LearningRate = 5e-2 });
        resumed.Resume(directory);
        Assert.Equal(1, resumed.Step);
        var saved = model.LoraParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.All(again.LoraParameters(), p => Assert.True(p.Parameter.allclose(saved[p.Name], rtol: 0, atol: 0), p.Name));
        Directory.Delete(directory, recursive: true);
    }
}
