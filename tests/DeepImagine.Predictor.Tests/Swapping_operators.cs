using DeepImagine.Model.Store;
using DeepImagine.Pairs;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Tests;

public sealed class Swapping_operators
{
    [Fact]
    public async Task A_newly_published_operator_is_loaded_and_used_and_a_broken_one_keeps_the_old()
    {
        using var store = new TinyOperators(withBase: true);
        using var registry = new OperatorRegistry(store.Store, TinyOperators.BaseName);
        var engine = new PredictionEngine(new InMemoryAnchorSource(Knowledge.Anchors()), registry,
            new PredictorOptions { BaseModel = TinyOperators.BaseName, MaxNewTokens = 8 });

        var before = await engine.PredictAsync(Knowledge.Target(), 1, CancellationToken.None);
        Assert.Equal($"{TinyOperators.BaseName}@v1", before.ModelVersions[Factors.Arm]);

        store.PublishAdapter(Factors.Arm, seed: 5);
        Assert.True(await registry.ReloadAsync(CancellationToken.None));
        var after = await engine.PredictAsync(Knowledge.Target(), 1, CancellationToken.None);
        Assert.Equal($"{TinyOperators.BaseName}-arm@v1 (on {TinyOperators.BaseName}@v1)", after.ModelVersions[Factors.Arm]);
        Assert.Equal($"{TinyOperators.BaseName}@v1", after.ModelVersions[Factors.Dose]);
        // The arm steps now run on other weights: their scored distributions differ.
        var armBefore = before.Chains.SelectMany(c => c.Steps).First(s => s.Factor == Factors.Arm).Distribution;
        var armAfter = after.Chains.SelectMany(c => c.Steps).First(s => s.Factor == Factors.Arm).Distribution;
        Assert.NotEqual(armBefore, armAfter);

        PublishBrokenAdapter(store, Factors.Arm);
        Assert.False(await registry.ReloadAsync(CancellationToken.None));
        Assert.NotNull(registry.LastError);
        var kept = await engine.PredictAsync(Knowledge.Target(), 1, CancellationToken.None);
        Assert.Equal($"{TinyOperators.BaseName}-arm@v1 (on {TinyOperators.BaseName}@v1)", kept.ModelVersions[Factors.Arm]);
        Assert.Null(kept.FallbackReason);
    }

    [Fact]
    public async Task Reloading_an_unchanged_store_keeps_the_loaded_set()
    {
        using var store = new TinyOperators(withBase: true);
        using var registry = new OperatorRegistry(store.Store, TinyOperators.BaseName);
        Assert.True(await registry.ReloadAsync(CancellationToken.None));
        Assert.False(await registry.ReloadAsync(CancellationToken.None));
        Assert.Null(registry.LastError);
    }

    /// <summary>A complete version (manifest written) whose adapter weights are not safetensors.</summary>
    private static void PublishBrokenAdapter(TinyOperators store, string factor)
    {
        var name = $"{TinyOperators.BaseName}-{factor}";
        var good = store.Store.Find(name)!;
        var staging = store.Store.NewStagingDirectory(name);
        File.Copy(Path.Combine(good.Directory, "adapter_config.json"), Path.Combine(staging, "adapter_config.json"));
        File.WriteAllText(Path.Combine(staging, "adapter_model.safetensors"), "not safetensors");
        store.Store.Publish(name, staging, new VersionDescription(ModelStore.LoraKind, TinyOperators.BaseName, store.BaseVersion!.Manifest.Version, null, new Dictionary<string, double>()));
    }
}
