using DeepImagine.Model;
using DeepImagine.Model.Store;
using static TorchSharp.torch;

namespace DeepImagine.RolloutGenerator.Tests;

/// <summary>ModelStore.Load, the one way rollout-generator and gpu-learner turn a stored version into a model.</summary>
public sealed class Loading_policies_from_the_store : IDisposable
{
    private readonly TinyPolicies _policies = new();
    private static readonly long[,] Input = { { 5, 9, 17, 33, 2 } };

    public void Dispose() => _policies.Dispose();

    private static float[] Logits(Qwen3ForCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Logits(tensor(Input)).cpu().data<float>().ToArray();
    }

    [Fact]
    public void A_lora_version_is_its_base_plus_its_adapter_merged_or_not()
    {
        var policy = _policies.PublishPolicy(seed: 9);

        using var plain = _policies.Store.Load(TinyPolicies.BaseName, 1);
        using var adapted = _policies.Store.Load(TinyPolicies.PolicyName, policy.Manifest.Version);
        using var merged = _policies.Store.Load(TinyPolicies.PolicyName, policy.Manifest.Version, mergeAdapters: true, verify: true);
        using var reference = Checkpoint.Load(_policies.Base.Directory);
        Checkpoint.LoadAdapter(reference, policy.Directory);

        Assert.Equal(Logits(reference), Logits(adapted.Model));
        Assert.NotEqual(Logits(plain.Model), Logits(adapted.Model));
        var a = Logits(adapted.Model);
        var m = Logits(merged.Model);
        Assert.All(a.Zip(m), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"{p.First} vs {p.Second}"));
        Assert.NotEmpty(adapted.Model.LoraParameters());
        Assert.Equal((TinyPolicies.PolicyName, policy.Manifest.Version), (adapted.Name, adapted.Number));
        Assert.Equal(ChatTokenizer.Load(_policies.Base.Directory).VocabSize, adapted.Tokenizer.VocabSize);
    }

    [Fact]
    public void An_unknown_model_or_version_names_the_field()
    {
        _policies.PublishPolicy(seed: 9);

        Assert.Equal("modelName", Assert.Throws<ModelVersionNotFoundException>(() => _policies.Store.Load("absent", 1)).Field);
        Assert.Equal("modelName", Assert.Throws<ModelVersionNotFoundException>(() => _policies.Store.Load("Not A Name", 1)).Field);
        var version = Assert.Throws<ModelVersionNotFoundException>(() => _policies.Store.Load(TinyPolicies.PolicyName, 5));
        Assert.Equal("version", version.Field);
        Assert.Contains("complete: 1", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_without_its_manifest_is_not_loaded_and_a_damaged_one_fails_verification()
    {
        var policy = _policies.PublishPolicy(seed: 9);
        File.Move(Path.Combine(policy.Directory, ModelStore.ManifestFile), Path.Combine(policy.Directory, "manifest.hidden"));
        Assert.Equal("modelName", Assert.Throws<ModelVersionNotFoundException>(() => _policies.Store.Load(TinyPolicies.PolicyName, 1)).Field);
        File.Move(Path.Combine(policy.Directory, "manifest.hidden"), Path.Combine(policy.Directory, ModelStore.ManifestFile));

        File.AppendAllText(Path.Combine(_policies.Base.Directory, Checkpoint.ConfigFile), " ");

        var error = Assert.Throws<InvalidDataException>(() => _policies.Store.Load(TinyPolicies.PolicyName, 1, verify: true));
        Assert.Contains(_policies.Base.Directory, error.Message, StringComparison.Ordinal);
    }
}
