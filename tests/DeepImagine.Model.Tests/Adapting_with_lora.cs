using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Adapting_with_lora
{
    private static Tensor Logits(Qwen3ForCausalLM model, string text)
    {
        model.eval();
        using var _ = no_grad();
        return model.Logits(tensor(Corpus.Tokenizer.Encode(text).Select(i => (long)i).ToArray()).unsqueeze(0));
    }

    [Fact]
    public void Trains_the_adapter_alone_changes_outputs_and_merges_to_the_same_logits()
    {
        using var scope = NewDisposeScope();
        // Adapters adapt a trained base (a random one cannot express confident outputs with its frozen embeddings).
        var baseDirectory = Path.Combine(Path.GetTempPath(), "di-base-" + Guid.NewGuid().ToString("N"));
        Checkpoint.Save(Training.OverfittedModel, baseDirectory, new CheckpointMetadata { Note = "overfitted base" });
        using var model = Checkpoint.Load(baseDirectory);
        var question = Training.Examples[2].Messages[0];
        SftExample changed = new([question, new("assistant", "Lower: 43.4 vs 44.2. DECISION: (B)")]);
        var prompt = Training.Prompt(changed);
        var before = Logits(model, prompt);
        var baseWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());

        model.AddLora(new LoraSettings(Rank: 8, Alpha: 16));
        Assert.Equal(2 * 2 * 7, model.LoraParameters().Count);
        Assert.Contains(model.LoraParameters(), p => p.Name == "model.layers.0.self_attn.q_proj.lora_A.weight");
        // A new adapter (B = 0) changes nothing yet.
        Assert.Equal(0f, (Logits(model, prompt) - before).abs().max().item<float>());

        using (var trainer = new SftTrainer(model, Corpus.Tokenizer, Training.Options with { MaxSteps = 100, LearningRate = 1e-2 }))
        {
            var history = trainer.Train([changed]);
            Assert.True(history[^1].Loss < 0.05, $"loss {history[0].Loss} → {history[^1].Loss}");
        }
        var answer = TextGenerator.Generate(model, Corpus.Tokenizer, [prompt], new GenerationOptions { MaxNewTokens = 40 })[0].Text;
        Assert.Equal("Lower: 43.4 vs 44.2. DECISION: (B)", answer);
        var adapted = Logits(model, prompt);
        // The base stayed frozen.
        foreach (var (name, parameter) in model.named_parameters().Where(p => !p.name.Contains(".lora_", StringComparison.Ordinal)))
            Assert.Equal(0f, (parameter - baseWeights[name]).abs().max().item<float>());

        // Saved with PEFT's names, loaded onto a fresh copy of the base: the same logits.
        var directory = Path.Combine(Path.GetTempPath(), "di-lora-" + Guid.NewGuid().ToString("N"));
        Checkpoint.SaveAdapter(model, directory);
        var names = Safetensors.Load(Path.Combine(directory, Checkpoint.AdapterWeightsFile)).Keys;
        Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", names);
        using var fresh = Checkpoint.Load(baseDirectory);
        Checkpoint.LoadAdapter(fresh, directory);
        Assert.True((Logits(fresh, prompt) - adapted).abs().max().item<float>() < 1e-5);

        model.MergeLora();
        var difference = (Logits(model, prompt) - adapted).abs().max().item<float>();
        Assert.True(difference < 1e-4, $"merged vs unmerged: {difference}");
        Directory.Delete(directory, recursive: true);
        Directory.Delete(baseDirectory, recursive: true);
    }
}
