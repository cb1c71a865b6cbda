using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Fine_tuning
{
    [Fact]
    public void Overfits_a_small_chat_set_and_then_generates_the_exact_targets_greedily()
    {
        var model = Training.OverfittedModel;

        Assert.True(Training.History[^1].Loss < 0.05, $"final loss {Training.History[^1].Loss}");
        var results = TextGenerator.Generate(model, Corpus.Tokenizer, Training.Examples.Select(Training.Prompt).ToList(), new GenerationOptions { MaxNewTokens = 40 });
        for (var i = 0; i < Training.Examples.Length; i++)
        {
            Assert.Equal(Training.Examples[i].Messages[1].Content, results[i].Text);
            Assert.Equal("stop_token", results[i].FinishReason);
        }
    }

    [Fact]
    public void Learns_only_the_assistant_tokens()
    {
        using var trainer = new SftTrainer(Training.OverfittedModel, Corpus.Tokenizer, Training.Options);
        var (ids, labels) = trainer.Encode([Training.Examples[0]])[0];

        var learned = ids.Where((_, i) => labels[i] != -100).Select(i => (int)i).ToList();
        Assert.Equal(Training.Examples[0].Messages[1].Content + ChatTokenizer.ImEnd, Corpus.Tokenizer.Decode(learned));
    }

    [Fact]
    public void Warms_up_then_decays_the_learning_rate_on_a_cosine()
    {
        using var trainer = new SftTrainer(Training.OverfittedModel, Corpus.Tokenizer, Training.Options with { MaxSteps = 110, WarmupSteps = 10, LearningRate = 1e-3, MinLearningRateRatio = 0.1 });

        Assert.Equal(1e-4, trainer.LearningRateAt(0), 12);
        Assert.Equal(1e-3, trainer.LearningRateAt(9), 12);
        Assert.Equal(1e-3, trainer.LearningRateAt(10), 12);
        Assert.Equal(0.55e-3, trainer.LearningRateAt(60), 12);
        Assert.Equal(1e-4, trainer.LearningRateAt(110), 12);
    }

    [Fact]
    public void Resumes_from_a_checkpoint_exactly_where_it_stopped()
    {
        var directory = Path.Combine(Path.GetTempPath(), "di-sft-" + Guid.NewGuid().ToString("N"));
        var options = Training.Options with { MaxSteps = 12, WarmupSteps = 2, BatchSize = 2 };
        var config = TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize);

        using var straight = Qwen3ForCausalLM.CreateRandom(config, seed: 21);
        using var straightTrainer = new SftTrainer(straight, Corpus.Tokenizer, options);
        var straightHistory = straightTrainer.Train(Training.Examples);

        using var first = Qwen3ForCausalLM.CreateRandom(config, seed: 21);
        using (var firstTrainer = new SftTrainer(first, Corpus.Tokenizer, options))
        {
            firstTrainer.Train(Training.Examples, untilStep: 6);
            firstTrainer.Save(directory);
        }
        using var resumed = Checkpoint.Load(directory);
        using var resumedTrainer = new SftTrainer(resumed, Corpus.Tokenizer, options);
        resumedTrainer.Resume(directory);
        var resumedHistory = resumedTrainer.Train(Training.Examples);

        Assert.Equal(6, resumedHistory.Count);
        Assert.Equal(7, resumedHistory[0].Step);
        for (var i = 0; i < 6; i++) Assert.Equal(straightHistory[6 + i].Loss, resumedHistory[i].Loss, 4);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Accumulated_gradients_match_one_larger_batch()
    {
        var config = TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize);
        using var whole = Qwen3ForCausalLM.CreateRandom(config, seed: 31);
        using var accumulated = Qwen3ForCausalLM.CreateRandom(config, seed: 31);
        var options = Training.Options with { MaxSteps = 1, WarmupSteps = 1, MaxGradNorm = 1e9 };
        // Equal-length examples, so the mean over two halves equals the mean over the whole batch.
        SftExample[] same = [Training.Examples[0], Training.Examples[0], Training.Examples[0], Training.Examples[0]];

        IReadOnlyList<TrainingProgress> a, b;
        using (var t = new SftTrainer(whole, Corpus.Tokenizer, options with { BatchSize = 4 })) a = t.Train(same);
        using (var t = new SftTrainer(accumulated, Corpus.Tokenizer, options with { BatchSize = 2, GradientAccumulation = 2 })) b = t.Train(same);
        Assert.Equal(a[0].Loss, b[0].Loss, 5);
        Assert.Equal(a[0].GradNorm, b[0].GradNorm, 4);

        var difference = whole.parameters().Zip(accumulated.parameters()).Max(p => (p.First - p.Second).abs().max().item<float>());
        Assert.True(difference < 1e-5, $"max parameter difference {difference}");
    }
}
