using DeepImagine.Model.Store;

namespace DeepImagine.Cli.Tests;

public sealed class Reading_stored_operators : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "readout-store-" + Guid.NewGuid().ToString("N"));

    private StoredVersion Publish(ModelStore store, string name, string kind, string? parent)
    {
        var staging = store.NewStagingDirectory(name);
        File.WriteAllText(Path.Combine(staging, "weights.bin"), name);
        return store.Publish(name, staging, new VersionDescription(kind, parent, parent is null ? null : 1, Guid.NewGuid(), new Dictionary<string, double>()));
    }

    [Fact]
    public void The_readout_takes_the_newest_operator_of_the_factor_and_nothing_else()
    {
        var store = new ModelStore(_root);
        Publish(store, "tiny", ModelStore.BaseKind, null);
        Publish(store, "tiny-dose", ModelStore.LoraKind, "tiny");
        var newest = Publish(store, "tiny-dose", ModelStore.LoraKind, "tiny");
        Publish(store, "tiny-arm", ModelStore.LoraKind, "tiny");
        // A policy trained from the dose operator is not the dose operator.
        Publish(store, "tiny-dose-grpo", ModelStore.LoraKind, "tiny-dose");

        var chosen = OperatorsBenchmark.NewestOperator(store, "dose");

        Assert.Equal(newest.RelativePath, chosen.RelativePath);
        Assert.Equal("models/tiny-dose/v2", chosen.RelativePath);
    }

    [Fact]
    public void A_store_without_an_operator_for_the_factor_is_refused_naming_the_factor()
    {
        var store = new ModelStore(_root);
        Publish(store, "tiny", ModelStore.BaseKind, null);

        var error = Assert.Throws<ArgumentException>(() => OperatorsBenchmark.NewestOperator(store, "outcome"));

        Assert.Contains("'outcome'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
