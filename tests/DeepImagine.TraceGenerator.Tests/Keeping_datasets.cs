using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.Examples;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.TraceGenerator.Tests;

[Collection(HarnessDatabaseCollection.Name)]
public class Keeping_datasets(HarnessDatabase database)
{
    [Fact]
    public async Task Instances_creating_one_dataset_at_once_all_get_the_same_id()
    {
        var name = "concurrent-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = database.Services(new FakePairMiner(), name);
        var repository = provider.GetRequiredService<DatasetRepository>();

        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => repository.EnsureDatasetAsync(name, StepFormat.TemplateVersion, CancellationToken.None))));

        Assert.All(ids, id => Assert.Equal(StepExample.DatasetIdOf(name), id));
        Assert.Single(await repository.ListAsync(CancellationToken.None), d => d.Name == name);
    }

    [Fact]
    public async Task A_dataset_name_keeps_its_template_version()
    {
        var name = "versioned-" + Guid.NewGuid().ToString("N")[..8];
        await using var provider = database.Services(new FakePairMiner(), name);
        var repository = provider.GetRequiredService<DatasetRepository>();
        await repository.EnsureDatasetAsync(name, StepFormat.TemplateVersion, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => repository.EnsureDatasetAsync(name, StepFormat.TemplateVersion + 1, CancellationToken.None));

        Assert.Contains($"dataset '{name}' holds template version {StepFormat.TemplateVersion}", error.Message, StringComparison.Ordinal);
    }
}
