using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Saving_checkpoints
{
    private static Tensor Logits(Qwen3ForCausalLM model)
    {
        model.eval();
        using var _ = no_grad();
        return model.Logits(tensor(new long[,] { { 1, 5, 9, 42, 7, 3 } }));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Gives_identical_logits_after_save_and_load(bool sharded, bool untied)
    {
        using var scope = NewDisposeScope();
        var directory = Path.Combine(Path.GetTempPath(), "di-ckpt-" + Guid.NewGuid().ToString("N"));
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(tied: !untied), seed: 7);
        var before = Logits(model);

        Checkpoint.Save(model, directory, new CheckpointMetadata { Step = 12, Data = "test", Parent = "none" }, maxShardBytes: sharded ? 50_000 : null);
        using var loaded = Checkpoint.Load(directory);

        Assert.Equal(0f, (Logits(loaded) - before).abs().max().item<float>());
        Assert.Equal(sharded, File.Exists(Path.Combine(directory, Safetensors.IndexFile)));
        if (sharded) Assert.True(Directory.GetFiles(directory, "model-*-of-*.safetensors").Length > 1);
        Assert.Equal(12, Checkpoint.ReadMetadata(directory)!.Step);
        Assert.Equal(untied, File.ReadAllText(Path.Combine(directory, "config.json")).Contains("\"tie_word_embeddings\": false", StringComparison.Ordinal));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Keeps_bfloat16_weights_exactly()
    {
        using var scope = NewDisposeScope();
        var directory = Path.Combine(Path.GetTempPath(), "di-ckpt-" + Guid.NewGuid().ToString("N"));
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 8);
        // Round the model to bfloat16 first: saving then loads back exactly those values.
        using (no_grad())
        {
            foreach (var p in model.parameters()) p.copy_(p.to(ScalarType.BFloat16).to(ScalarType.Float32));
        }
        var before = Logits(model);

        Checkpoint.Save(model, directory, new CheckpointMetadata(), ScalarType.BFloat16);
        using var loaded = Checkpoint.Load(directory);

        Assert.Equal(0f, (Logits(loaded) - before).abs().max().item<float>());
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(directory, "config.json")), StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Writes_float16_and_reads_it_back_within_half_precision()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), "di-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var original = randn(4, 8);

        Safetensors.Save(path, [("x", original)], ScalarType.Float16);
        var loaded = Safetensors.Load(path)["x"];

        Assert.Equal(ScalarType.Float16, loaded.dtype);
        Assert.True((loaded.to(ScalarType.Float32) - original).abs().max().item<float>() < 2e-3);
        File.Delete(path);
    }

    [Fact]
    public void Names_the_missing_weight_of_an_incomplete_checkpoint()
    {
        using var scope = NewDisposeScope();
        var directory = Path.Combine(Path.GetTempPath(), "di-ckpt-" + Guid.NewGuid().ToString("N"));
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 9);
        Checkpoint.Save(model, directory, new CheckpointMetadata());
        var weights = Safetensors.Load(Path.Combine(directory, Safetensors.SingleFile));
        weights.Remove("model.norm.weight");
        Safetensors.Save(Path.Combine(directory, Safetensors.SingleFile), weights.Select(kv => (kv.Key, kv.Value)));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(directory));

        Assert.Contains("model.norm.weight", error.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }
}
