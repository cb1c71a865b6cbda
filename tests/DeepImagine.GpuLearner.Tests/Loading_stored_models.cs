using DeepImagine.Model.Store;
using DeepImagine.Model;

namespace DeepImagine.GpuLearner.Tests;

public sealed class Loading_stored_models : IDisposable
{
    private readonly TinyStore _tiny = new(new FakeDatasets());

    public void Dispose() => _tiny.Dispose();

    private StoredVersion PublishBase(string name)
    {
        var staging = _tiny.Store.NewStagingDirectory(name);
        foreach (var file in Directory.EnumerateFiles(_tiny.BaseVersion!.Directory).Where(f => Path.GetFileName(f) != ModelStore.ManifestFile))
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        return _tiny.Store.Publish(name, staging, new VersionDescription(ModelStore.BaseKind, null, null, null, new Dictionary<string, double>()));
    }

    private StoredVersion PublishOperator(string name, StoredVersion parent)
    {
        using var model = Checkpoint.Load(parent.Directory);
        TorchSharp.torch.random.manual_seed(3);
        model.AddLora(new LoraSettings(4, 8));
        using (TorchSharp.torch.no_grad())
        {
            // Non-zero adapters, so merging them changes the outputs.
            foreach (var (_, p) in model.LoraParameters()) p.add_(0.05);
        }
        var staging = _tiny.Store.NewStagingDirectory(name);
        Checkpoint.SaveAdapter(model, staging);
        ChatTokenizer.Load(parent.Directory).Save(staging);
        return _tiny.Store.Publish(name, staging, new VersionDescription(ModelStore.LoraKind, parent.Manifest.Name, parent.Manifest.Version, null, new Dictionary<string, double>()));
    }

    [Fact]
    public void By_default_the_all_factor_operator_is_chosen_over_the_base_and_the_newest_version_of_each()
    {
        var store = _tiny.Store;
        Assert.Throws<ArgumentException>(() => StoredModels.Resolve(store, null));

        var base1 = PublishBase(StoredModels.BaseModel);
        var base2 = PublishBase(StoredModels.BaseModel);
        Assert.Equal(base2.Directory, StoredModels.Resolve(store, null).Directory);

        var all = PublishOperator(StoredModels.AllFactorsModel, base1);
        Assert.Equal(all.Directory, StoredModels.Resolve(store, null).Directory);
        Assert.Equal(base1.Directory, StoredModels.Resolve(store, $"{StoredModels.BaseModel}:v1").Directory);
        Assert.Equal(base1.Directory, StoredModels.Resolve(store, $"{StoredModels.BaseModel}:1").Directory);
    }

    [Fact]
    public void A_missing_model_or_a_bad_version_is_a_clear_error_naming_what_to_run()
    {
        var empty = new ModelStore(Path.Combine(_tiny.Root, "empty"));

        var none = Assert.Throws<ArgumentException>(() => StoredModels.Resolve(empty, null));
        Assert.Contains("make train", none.Message, StringComparison.Ordinal);
        Assert.Contains("make train", Assert.Throws<ArgumentException>(() => StoredModels.Resolve(_tiny.Store, "tiny-base:v9")).Message, StringComparison.Ordinal);
        Assert.Contains("positive number", Assert.Throws<ArgumentException>(() => StoredModels.Resolve(_tiny.Store, "tiny-base:latest")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_loads_on_its_base_with_the_adapters_merged_giving_the_adapted_outputs()
    {
        var parent = _tiny.BaseVersion!;
        var op = PublishOperator("tiny-base-all", parent);
        var ids = TorchSharp.torch.tensor(new long[,] { { 5, 9, 12, 40, 7 } });

        var (merged, tokenizer) = StoredModels.Load(_tiny.Store, op, TorchSharp.torch.CPU);
        using var baseModel = Checkpoint.Load(parent.Directory);
        using var adapted = Checkpoint.Load(parent.Directory);
        Checkpoint.LoadAdapter(adapted, op.Directory);
        using (merged)
        using (TorchSharp.torch.no_grad())
        {
            var expected = adapted.Logits(ids);
            Assert.True(merged.Logits(ids).allclose(expected, rtol: 1e-4, atol: 1e-4));
            Assert.False(baseModel.Logits(ids).allclose(expected, rtol: 1e-4, atol: 1e-4));
        }
        Assert.Equal(ChatTokenizer.Load(parent.Directory).VocabSize, tokenizer.VocabSize);
    }
}
