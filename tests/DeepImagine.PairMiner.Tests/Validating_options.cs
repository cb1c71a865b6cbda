using DeepImagine.PairMiner.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DeepImagine.PairMiner.Tests;

public class Validating_options
{
    private static IHost Host(string topK)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["PairMining:TopK"] = topK });
        builder.Services.AddPairMining();
        return builder.Build();
    }

    [Fact]
    public async Task A_host_with_a_negative_TopK_refuses_to_start_and_names_the_setting()
    {
        using var host = Host("-1");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("TopK", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_reads_TopK_from_its_own_configuration()
    {
        using var host = Host("7");
        await host.StartAsync();
        Assert.Equal(7, host.Services.GetRequiredService<IOptions<DeepImagine.PairMiner.Components.Mining.PairMiningOptions>>().Value.TopK);
        await host.StopAsync();
    }
}
