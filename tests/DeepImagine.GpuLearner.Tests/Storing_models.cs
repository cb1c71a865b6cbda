using DeepImagine.Model.Store;

namespace DeepImagine.GpuLearner.Tests;

public sealed class Storing_models : IDisposable
{
    private readonly TinyStore _tiny = new(new FakeDatasets(), withBase: false);
    private ModelStore Store => _tiny.Store;

    public void Dispose() => _tiny.Dispose();

    private StoredVersion PublishFile(string name, string content, Guid? jobId = null)
    {
        var staging = Store.NewStagingDirectory(name);
        File.WriteAllText(Path.Combine(staging, "model.safetensors"), content);
        return Store.Publish(name, staging, new VersionDescription(ModelStore.LoraKind, "parent", 3, jobId, new Dictionary<string, double> { ["val_loss"] = 1.5 }));
    }

    [Fact]
    public void Numbers_versions_in_order_and_records_hashes_in_the_manifest()
    {
        var first = PublishFile("op-dose", "weights one");
        var second = PublishFile("op-dose", "weights two");

        Assert.Equal(1, first.Manifest.Version);
        Assert.Equal(2, second.Manifest.Version);
        Assert.Equal("models/op-dose/v2", second.RelativePath);
        Assert.True(File.Exists(Path.Combine(Store.Root, "models", "op-dose", "v2", ModelStore.ManifestFile)));
        var file = Assert.Single(second.Manifest.Files);
        Assert.Equal("model.safetensors", file.Path);
        Assert.Equal(64, file.Sha256.Length);
        Assert.NotEqual(first.Manifest.Sha256, second.Manifest.Sha256);
        Assert.Equal("parent", second.Manifest.ParentModel);
        Assert.Equal(1.5, second.Manifest.Metrics["val_loss"]);
    }

    [Fact]
    public void Ignores_a_version_directory_without_a_manifest()
    {
        PublishFile("op-arm", "complete");
        var incomplete = Path.Combine(Store.ModelsDirectory, "op-arm", "v2");
        Directory.CreateDirectory(incomplete);
        File.WriteAllText(Path.Combine(incomplete, "model.safetensors"), "half written");

        Assert.Single(Store.Versions("op-arm"));
        Assert.Equal(1, Store.Find("op-arm")!.Manifest.Version);
        Assert.Null(Store.Find("op-arm", 2));
        // The next publish does not reuse the number a half-written directory holds.
        Assert.Equal(3, PublishFile("op-arm", "next").Manifest.Version);
    }

    [Fact]
    public void Detects_a_file_changed_after_publishing()
    {
        var version = PublishFile("op-outcome", "original");
        Assert.True(ModelStore.Verify(version));

        File.WriteAllText(Path.Combine(version.Directory, "model.safetensors"), "tampered");

        Assert.False(ModelStore.Verify(version));
    }

    [Fact]
    public void Finds_the_version_a_job_already_published()
    {
        var job = Guid.NewGuid();
        PublishFile("op-design", "other job", Guid.NewGuid());
        var mine = PublishFile("op-design", "this job", job);

        Assert.Equal(mine.Manifest.Version, Store.FindByJob("op-design", job)!.Manifest.Version);
        Assert.Null(Store.FindByJob("op-design", Guid.NewGuid()));
    }

    [Fact]
    public void Refuses_to_register_a_directory_that_is_not_a_checkpoint()
    {
        var empty = Directory.CreateDirectory(Path.Combine(Store.Root, "not-a-checkpoint")).FullName;

        var error = Assert.Throws<ArgumentException>(() => Store.RegisterCheckpoint("imported", empty));

        Assert.Contains("config.json", error.Message);
        Assert.Empty(Store.Versions("imported"));
    }

    [Fact]
    public void Registers_a_checkpoint_copied_from_another_store_as_a_new_base_version()
    {
        using var other = new TinyStore(new FakeDatasets());

        var version = Store.RegisterCheckpoint("imported", other.BaseVersion!.Directory);

        Assert.Equal(("imported", 1, ModelStore.BaseKind), (version.Manifest.Name, version.Manifest.Version, version.Manifest.Kind));
        Assert.Null(version.Manifest.JobId);
        Assert.True(ModelStore.Verify(version));
        Assert.Equal(other.BaseVersion.Manifest.Files.Select(f => f.Sha256), version.Manifest.Files.Select(f => f.Sha256));
    }

    [Fact]
    public void Refuses_a_model_name_that_could_leave_the_store()
    {
        Assert.Throws<ArgumentException>(() => Store.NewStagingDirectory("../escape"));
    }
}
