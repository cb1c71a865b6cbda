using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;
using DeepImagine.RolloutGenerator.Policies;
using MassTransit.Testing;

namespace DeepImagine.RolloutGenerator.Tests;

public sealed class Swapping_policies : IDisposable
{
    private readonly TinyPolicies _policies = new();

    public void Dispose() => _policies.Dispose();

    private static CheckpointPublished Published(StoredVersion version) =>
        new(Guid.NewGuid(), version.Manifest.Name, version.Manifest.Version, version.Manifest.ParentModel, version.Manifest.ParentVersion,
            version.Manifest.Kind, version.RelativePath, version.Manifest.Sha256, new Dictionary<string, double>(), DateTimeOffset.UtcNow);

    private static bool Activated(RolloutHarness worker, int version) =>
        worker.Harness.Published.Select<PolicyActivated>(m => m.Context.Message.ModelName == TinyPolicies.PolicyName && m.Context.Message.Version == version).Any();

    [Fact]
    public async Task A_newer_published_version_of_the_served_model_is_loaded_swapped_in_and_announced()
    {
        var first = _policies.PublishPolicy(seed: 1);
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, first.Manifest.Version, prompts: 1, groupSize: 2);
        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 1, "the first group");
        Assert.True(Activated(worker, first.Manifest.Version));

        var second = _policies.PublishPolicy(seed: 2);
        await worker.Harness.Bus.Publish(Published(second));
        await RolloutHarness.WaitUntilAsync(() => Activated(worker, second.Manifest.Version), "PolicyActivated for the new version");

        var cache = worker.Get<PolicyCache>();
        Assert.Equal(second.Manifest.Version, cache.Serving(TinyPolicies.PolicyName));
        var activated = worker.Harness.Published.Select<PolicyActivated>(m => m.Context.Message.Version == second.Manifest.Version).Single().Context.Message;
        Assert.Equal("worker-a", activated.Worker);
        // The previous version stays cached for requests still naming it.
        Assert.Contains((TinyPolicies.PolicyName, first.Manifest.Version), cache.Loaded());
    }

    [Fact]
    public async Task A_published_version_that_fails_to_load_leaves_the_old_one_serving()
    {
        var first = _policies.PublishPolicy(seed: 1);
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");
        var cache = worker.Get<PolicyCache>();
        using (await cache.AcquireAsync(TinyPolicies.PolicyName, first.Manifest.Version, CancellationToken.None)) { }
        var broken = _policies.PublishPolicy(seed: 2);
        // A damaged copy: the adapter's bytes no longer match the manifest.
        var adapter = Path.Combine(broken.Directory, DeepImagine.Model.Checkpoint.AdapterWeightsFile);
        var bytes = File.ReadAllBytes(adapter);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(adapter, bytes);

        await worker.Harness.Bus.Publish(Published(broken));
        Assert.True(await worker.Harness.Consumed.Any<CheckpointPublished>(m => m.Context.Message.Version == broken.Manifest.Version));

        Assert.Equal(first.Manifest.Version, cache.Serving(TinyPolicies.PolicyName));
        Assert.False(Activated(worker, broken.Manifest.Version));
        var request = RolloutHarness.Request(TinyPolicies.PolicyName, first.Manifest.Version, prompts: 1, groupSize: 2);
        await worker.Harness.Bus.Publish(request);
        await RolloutHarness.WaitUntilAsync(() => worker.Generated(request.BatchId).Count == 1, "a group from the old version");
        Assert.Equal(first.Manifest.Version, worker.Generated(request.BatchId).Single().PolicyVersion);
    }

    [Fact]
    public async Task A_published_version_of_a_model_the_worker_does_not_serve_is_not_loaded()
    {
        var version = _policies.PublishPolicy(seed: 1);
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");

        await worker.Harness.Bus.Publish(Published(version));
        Assert.True(await worker.Harness.Consumed.Any<CheckpointPublished>());

        Assert.Empty(worker.Get<PolicyCache>().Loaded());
        Assert.False(Activated(worker, version.Manifest.Version));
    }

    [Fact]
    public async Task Only_the_newest_versions_stay_loaded_and_a_version_in_use_is_not_freed_under_its_user()
    {
        var versions = Enumerable.Range(1, 4).Select(seed => _policies.PublishPolicy(seed)).ToList();
        await using var worker = await RolloutHarness.StartAsync(_policies.Store, "worker-a");
        var cache = worker.Get<PolicyCache>();

        using var oldest = await cache.AcquireAsync(TinyPolicies.PolicyName, 1, CancellationToken.None);
        for (var v = 2; v <= 4; v++)
            using (await cache.AcquireAsync(TinyPolicies.PolicyName, v, CancellationToken.None)) { }

        Assert.Equal([(TinyPolicies.PolicyName, 3), (TinyPolicies.PolicyName, 4)], cache.Loaded());
        // Evicted while leased: still usable until handed back.
        Assert.Equal(1, oldest.Policy.Number);
        Assert.True(oldest.Policy.Model.Config.NumHiddenLayers > 0);
        using var logits = oldest.Policy.Model.Logits(TorchSharp.torch.tensor(new long[,] { { 1, 2, 3 } }));
        Assert.Equal(3, logits.shape[1]);
        Assert.Equal(versions.Count, versions.Select(v => v.Manifest.Version).Distinct().Count());
    }
}
