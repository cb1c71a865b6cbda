using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;

namespace DeepImagine.IntegrationTests;

[Collection(LiveServicesCollection.Name)]
public class Mining_pairs(LiveServices services)
{
    private async Task<long> PairCountAsync(string trialId) =>
        (await services.Pairs.ForTrialAsync(trialId, null, null, CancellationToken.None)).Count;

    [Fact]
    public async Task Stores_the_natural_pairs_of_a_published_trial_and_announces_them()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(RepoData.LegacyRecord("NCT02305381").ToMessage(correlationId));
        var mined = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId)).Single();

        var expected = NaturalPairMiner.Mine(RepoData.LegacyTrial("NCT02305381"), new TrialRef(1, "", "", "", 1)).Count;
        var natural = mined.Counts.Where(c => c.Kind == PairKinds.Natural).Sum(c => c.Count);
        Assert.Equal(expected, natural);
        Assert.Contains(mined.Counts, c => c is { Kind: PairKinds.Natural, Factor: Factors.Dose });
        Assert.Contains(mined.Counts, c => c is { Kind: PairKinds.Natural, Factor: Factors.Arm });
        var stored = await services.Pairs.ForTrialAsync("NCT02305381", PairKinds.Natural, Factors.Arm, CancellationToken.None);
        // The one "Placebo" group pools both placebo arms; the side names the first.
        var placeboVsOne = stored.Select(p => p.Pair).Single(p => p.A.Arm == "Semaglutide Placebo 0.5 mg/Week" && p.B.Arm == "Semaglutide 1.0 mg/Week" && p.A.OutcomeId == "O0");
        Assert.Equal(-1.85, placeboVsOne.B.Value);
        Assert.Equal("lower", placeboVsOne.Direction.Direction);
        Assert.Equal("< 0.0001", placeboVsOne.Comparison!.PValueText);
    }

    [Fact]
    public async Task Republishing_a_trial_adds_no_pair()
    {
        var record = RepoData.V2Record("NCT01037244");
        var first = NewId.NextGuid();
        await services.Bus.Publish(record.ToMessage(first));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == first);
        var before = await PairCountAsync("NCT01037244");

        var again = NewId.NextGuid();
        await services.Bus.Publish(record.ToMessage(again));
        var second = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == again)).Single();

        Assert.True(before > 0);
        Assert.Equal(0, second.NewPairs);
        Assert.Equal(before, await PairCountAsync("NCT01037244"));
    }

    [Fact]
    public async Task Finds_an_approximate_geography_pair_between_two_trials_of_one_intervention_in_different_countries()
    {
        // NCT00833638 (tadalafil 2.5 / 5 mg, United States) and NCT01130532 (tadalafil 2.5→5 / 5 mg, United States and Canada).
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(RepoData.V2Record("NCT00833638").ToMessage(correlationId));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId);
        await services.Bus.Publish(RepoData.V2Record("NCT01130532").ToMessage(correlationId));
        var mined = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId, count: 2)).Last();

        // The later trial's mining also gives the earlier one its new neighbour.
        Assert.Contains(mined.Counts, c => c is { Kind: PairKinds.Approximate, Factor: Factors.Geography });
        var forEarlier = await services.Pairs.ForTrialAsync("NCT00833638", PairKinds.Approximate, Factors.Geography, CancellationToken.None);
        var pair = Assert.Single(forEarlier.Select(p => p.Pair), p => p.B.TrialId == "NCT01130532");
        Assert.Equal("NCT00833638", pair.A.TrialId);
        Assert.Contains(Factors.Geography, pair.Factors);
        Assert.Equal("shared_intervention", pair.Relation);
        Assert.Equal(["tadalafil"], pair.A.Interventions);
        Assert.Equal(["tadalafil"], pair.B.Interventions);
    }

    [Fact]
    public async Task Mines_every_stored_trial_again_on_the_RemineTrials_command()
    {
        var first = NewId.NextGuid();
        await services.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:16-2").ToMessage(first));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == first);
        Assert.Equal(6, await PairCountAsync("clinDR:16-2"));

        var again = NewId.NextGuid();
        var accepted = await services.Bus.CreateRequestClient<RemineTrials>().GetResponse<RemineTrialsAccepted>(new RemineTrials(again));
        var mined = await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == again, count: accepted.Message.Trials, timeoutSeconds: 120);

        Assert.True(accepted.Message.Trials >= 1);
        var remined = Assert.Single(mined, m => m.SourceRecordId == "clinDR:16-2");
        Assert.Equal(6, remined.NewPairs); // four dose groups, all mined afresh
        Assert.Equal(6, remined.NewPairIds.Count);
        Assert.Equal(6, await PairCountAsync("clinDR:16-2"));
    }

    [Fact]
    public async Task Announces_the_new_pair_ids_and_serves_exactly_those_pairs_through_the_gateway()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:1005-2").ToMessage(correlationId));
        var mined = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId)).Single();

        Assert.Equal(mined.NewPairs, mined.NewPairIds.Count);
        Assert.True(mined.NewPairs > 0);
        var page = await services.GatewayClient.GetFromJsonAsync<PairPage>($"/api/pairs?ids={string.Join(',', mined.NewPairIds)}", ContractJson.Options);
        Assert.Equal(mined.NewPairIds, page!.Pairs.Select(p => p.Id));
        Assert.All(page.Pairs, p => Assert.Equal(PairRecord.CurrentSchemaVersion, p.SchemaVersion));
        Assert.All(page.Pairs, p => Assert.Contains("clinDR:1005-2", new[] { p.A.SourceRecordId, p.B.SourceRecordId }));
        var bad = await services.GatewayClient.GetAsync("/api/pairs?ids=1,x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Exports_every_pair_page_by_page_as_contract_lines_that_read_back_equal()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(RepoData.LegacyRecord("NCT02305381").ToMessage(correlationId));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId);

        // What `deepimagine pairs export` does: page through GET /api/pairs, one ContractJson line per pair.
        var lines = new List<string>();
        long? after = 0;
        while (after is { } cursor)
        {
            var page = (await services.GatewayClient.GetFromJsonAsync<PairPage>($"/api/pairs?after={cursor}&limit=7", ContractJson.Options))!;
            lines.AddRange(page.Pairs.Select(p => JsonSerializer.Serialize(p, ContractJson.Options)));
            after = page.Next;
        }
        var stats = (await services.GatewayClient.GetFromJsonAsync<List<PairCount>>("/api/pairs/stats", ContractJson.Options))!;

        var read = lines.Select((line, i) => ContractJson.ReadPair(line, i + 1)).ToList();
        Assert.Equal(read.Select(p => p.Id).Order(), read.Select(p => p.Id));
        Assert.Equal(read.Count, read.Select(p => p.Id).Distinct().Count());
        Assert.Equal(lines, read.Select(p => JsonSerializer.Serialize(p, ContractJson.Options)));
        // Other tests' trials may still be mining, so the totals move; this trial's pairs are settled.
        Assert.Equal(await PairCountAsync("NCT02305381"), read.Count(p => p.A.TrialId == "NCT02305381" || p.B.TrialId == "NCT02305381"));
        Assert.Contains(stats, c => c is { Kind: PairKinds.Natural, Factor: Factors.Dose, Count: > 0 });
    }

    [Fact]
    public async Task Finds_a_stored_neighbour_whose_condition_is_written_without_the_accents_of_the_new_trial()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(RepoData.V2Record("NCT00833638").ToMessage(correlationId));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId);
        var stored = (await services.Trials.GetLatestAsync("NCT00833638"))!;
        var condition = stored.Trial.Conditions[0];
        Assert.Matches("^[A-Za-z ]*[Ee][A-Za-z ]*$", condition); // plain ASCII, with an 'e' to accent

        // The same condition with accents, case and punctuation changed, and no shared intervention: only the condition key matches.
        var accented = stored.Trial with
        {
            SourceRecordId = "NCT99999998", TrialId = "NCT99999998", Interventions = [],
            Conditions = [condition.Replace('e', 'é').Replace('E', 'É').ToUpperInvariant() + " —"],
        };
        var neighbours = await services.Pairs.FindNeighboursAsync(TrialFeatures.Of(accented, long.MaxValue), 200, CancellationToken.None);

        Assert.Contains(neighbours, n => n.RowId == stored.Id);
    }

    [Fact]
    public async Task Serves_a_trials_pairs_through_the_gateway_filtered_by_kind_and_factor()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:10-1").ToMessage(correlationId));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId);

        var pairs = await services.GatewayClient.GetFromJsonAsync<JsonElement>("/api/trials/clinDR:10-1/pairs?kind=natural&factor=dose");
        Assert.Equal(6, pairs.GetArrayLength());
        var none = await services.GatewayClient.GetFromJsonAsync<JsonElement>("/api/trials/clinDR:10-1/pairs?factor=geography");
        Assert.Equal(0, none.GetArrayLength());
        var bad = await services.GatewayClient.GetAsync("/api/trials/clinDR:10-1/pairs?factor=colour");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Pages_through_every_stored_trial_id_in_ordinal_order()
    {
        var correlationId = NewId.NextGuid();
        await services.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:10-1").ToMessage(correlationId));
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == correlationId);

        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = await services.GatewayClient.GetFromJsonAsync<TrialIdPage>("/api/trials?limit=2" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)), ContractJson.Options);
            Assert.True(page!.TrialIds.Count <= 2);
            seen.AddRange(page.TrialIds);
            after = page.Next;
        } while (after is not null);

        Assert.Contains("clinDR:10-1", seen);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        var bad = await services.GatewayClient.GetAsync("/api/trials?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
