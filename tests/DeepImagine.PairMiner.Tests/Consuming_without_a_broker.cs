using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.PairMiner.Components.Ingestion;
using DeepImagine.PairMiner.Components.Mining;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepImagine.PairMiner.Tests;

/// <summary>pair-miner's consumers on MassTransit's in-memory test harness, with in-memory stores: no RabbitMQ, no PostgreSQL.</summary>
public sealed class Consuming_without_a_broker : IAsyncLifetime
{
    private readonly InMemoryStores _stores = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PairMining:TopK"] = "5" }).Build())
            .AddSingleton<ITrialStore>(_stores)
            .AddSingleton<IPairStore>(_stores)
            .AddPairMining()
            .AddMassTransitTestHarness(bus =>
            {
                // Two shared CPU cores: give a consumer time to start before the harness calls the bus idle.
                bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(5));
                bus.AddPairMinerConsumers();
            })
            .BuildServiceProvider(validateScopes: true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task TrialPublished_stores_the_trial_and_announces_it_stored_then_mined()
    {
        var correlationId = NewId.NextGuid();
        await _harness.Bus.Publish(RepoData.V2Record("NCT01037244").ToMessage(correlationId));

        Assert.True(await _harness.GetConsumerHarness<TrialPublishedConsumer>().Consumed.Any<TrialPublished>(x => x.Context.Message.CorrelationId == correlationId));
        var stored = Assert.Single(_harness.Published.Select<TrialStored>(x => x.Context.Message.CorrelationId == correlationId)).Context.Message;
        Assert.Equal(("NCT01037244", 1, true, true), (stored.SourceRecordId, stored.Version, stored.IsNewVersion, stored.HasResults));
        Assert.NotNull(await _stores.GetVersionAsync(SourceRecord.CtgovV2Source, "NCT01037244", 1));
        Assert.Single(await WaitForMinedAsync(correlationId, 1));
    }

    [Fact]
    public async Task TrialPublished_with_an_invalid_record_publishes_TrialRejected_naming_the_field_and_faults()
    {
        var correlationId = NewId.NextGuid();
        await _harness.Bus.Publish(new TrialPublished(SourceRecord.CtgovV2Source, "NCT00000001", DeepImagine.Contracts.V1.RecordFormat.CtgovV2Json, "{\"protocolSection\": {", correlationId));

        Assert.True(await _harness.Published.Any<Fault<TrialPublished>>(x => x.Context.Message.Message.CorrelationId == correlationId));
        var rejected = Assert.Single(_harness.Published.Select<TrialRejected>(x => x.Context.Message.CorrelationId == correlationId)).Context.Message;
        Assert.Equal(("NCT00000001", "record"), (rejected.SourceRecordId, rejected.Field));
        Assert.Null(await _stores.GetVersionAsync(SourceRecord.CtgovV2Source, "NCT00000001", 1));
        Assert.False(await _harness.Published.Any<TrialStored>(x => x.Context.Message.CorrelationId == correlationId));
    }

    [Fact]
    public async Task TrialStored_mines_the_version_and_announces_the_ids_of_exactly_the_new_pairs()
    {
        var record = SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:16-2");
        var trial = TrialRecordParser.Parse(record);
        var stored = await _stores.StoreAsync(trial, record.Text, Guid.Empty);
        var first = NewId.NextGuid();

        await _harness.Bus.Publish(new TrialStored(trial.TrialId, trial.Source, trial.SourceRecordId, stored.Version, stored.ContentHash, true, true, first));

        Assert.True(await _harness.GetConsumerHarness<TrialStoredConsumer>().Consumed.Any<TrialStored>(x => x.Context.Message.CorrelationId == first));
        var mined = Assert.Single(_harness.Published.Select<PairsMined>(x => x.Context.Message.CorrelationId == first)).Context.Message;
        Assert.Equal(6, mined.NewPairs); // four dose groups: every two of them
        Assert.Equal(_stores.Pairs.Select(p => p.Id), mined.NewPairIds);
        Assert.Equal(6, mined.Counts.Where(c => c is { Kind: PairKinds.Natural, Factor: Factors.Dose }).Sum(c => c.Count));

        // A redelivery mines nothing new and says so.
        var again = NewId.NextGuid();
        await _harness.Bus.Publish(new TrialStored(trial.TrialId, trial.Source, trial.SourceRecordId, stored.Version, stored.ContentHash, false, true, again));
        var repeated = Assert.Single(await WaitForMinedAsync(again, 1));
        Assert.Equal((0, 0), (repeated.NewPairs, repeated.NewPairIds.Count));
        Assert.Equal(mined.Counts, repeated.Counts);
    }

    [Fact]
    public async Task TrialStored_for_a_version_that_is_not_stored_faults()
    {
        var correlationId = NewId.NextGuid();
        await _harness.Bus.Publish(new TrialStored("NCT09999999", SourceRecord.CtgovV2Source, "NCT09999999", 1, "x", true, true, correlationId));

        Assert.True(await _harness.Published.Any<Fault<TrialStored>>(x => x.Context.Message.Message.CorrelationId == correlationId));
        Assert.False(await _harness.Published.Any<PairsMined>(x => x.Context.Message.CorrelationId == correlationId));
    }

    [Fact]
    public async Task RemineTrials_drops_the_pairs_answers_the_trial_count_and_mines_every_latest_trial_again()
    {
        var first = NewId.NextGuid();
        foreach (var id in new[] { "clinDR:16-2", "clinDR:10-1" })
            await _harness.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == id).ToMessage(first));
        Assert.Equal(2, (await WaitForMinedAsync(first, 2)).Count);
        var before = _stores.Pairs.Count;

        var again = NewId.NextGuid();
        var response = await _harness.GetRequestClient<RemineTrials>().GetResponse<RemineTrialsAccepted>(new RemineTrials(again));

        Assert.Equal((again, 2), (response.Message.CorrelationId, response.Message.Trials));
        Assert.True(await _harness.GetConsumerHarness<RemineTrialsConsumer>().Consumed.Any<RemineTrials>());
        var remined = await WaitForMinedAsync(again, 2);
        Assert.Equal(["clinDR:10-1", "clinDR:16-2"], remined.Select(m => m.SourceRecordId).Order(StringComparer.Ordinal));
        Assert.Equal(before, remined.Sum(m => m.NewPairs)); // every pair was dropped and found again
        Assert.Equal(before, _stores.Pairs.Count);
    }

    [Fact]
    public async Task DeleteSyntheticSource_removes_a_benchmark_source_and_refuses_a_real_one()
    {
        var real = RepoData.V2Record("NCT01037244");
        await _stores.StoreAsync(TrialRecordParser.Parse(real), real.Text, Guid.Empty);
        var synthetic = real with { SourceName = "bench-ingest" };
        await _stores.StoreAsync(TrialRecordParser.Parse(synthetic), synthetic.Text, Guid.Empty);
        var client = _harness.GetRequestClient<DeleteSyntheticSource>();

        var deleted = await client.GetResponse<SyntheticSourceDeleted>(new DeleteSyntheticSource("bench-ingest"));
        var refused = await Assert.ThrowsAsync<RequestFaultException>(() => client.GetResponse<SyntheticSourceDeleted>(new DeleteSyntheticSource(SourceRecord.CtgovV2Source)));

        Assert.Equal(1, deleted.Message.Trials);
        Assert.Null(await _stores.GetVersionAsync("bench-ingest", "NCT01037244", 1));
        Assert.Contains("'source'", refused.Fault!.Exceptions[0].Message, StringComparison.Ordinal);
        Assert.NotNull(await _stores.GetVersionAsync(SourceRecord.CtgovV2Source, "NCT01037244", 1));
    }

    private async Task<IReadOnlyList<PairsMined>> WaitForMinedAsync(Guid correlationId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var found = _harness.Published.Select<PairsMined>(x => x.Context.Message.CorrelationId == correlationId).Select(x => x.Context.Message).ToList();
            if (found.Count >= count || DateTime.UtcNow > deadline) return found;
            await Task.Delay(20);
        }
    }
}
