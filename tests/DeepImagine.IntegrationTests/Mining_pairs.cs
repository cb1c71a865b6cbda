using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using Npgsql;

namespace DeepImagine.IntegrationTests;

[Collection(LiveServicesCollection.Name)]
public class Mining_pairs(LiveServices services)
{
    private static async Task<long> PairCountAsync(string trialId)
    {
        await using var connection = new NpgsqlConnection(LiveServices.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("select count(*) from pairs where a_trial_id = @trialId or b_trial_id = @trialId", new { trialId });
    }

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
        var placeboVsOne = stored.Single(p => p.A.GetProperty("arm").GetString() == "Semaglutide Placebo 0.5 mg/Week"
                                              && p.B.GetProperty("arm").GetString() == "Semaglutide 1.0 mg/Week"
                                              && p.A.GetProperty("outcomeId").GetString() == "O0");
        Assert.Equal(-1.85, placeboVsOne.B.GetProperty("value").GetDouble());
        Assert.Equal("lower", placeboVsOne.Label.GetProperty("direction").GetString());
        Assert.Equal("< 0.0001", placeboVsOne.Comparison!.Value.GetProperty("pValueText").GetString());
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
        var pair = Assert.Single(forEarlier, p => p.B.GetProperty("trialId").GetString() == "NCT01130532");
        Assert.Equal("NCT00833638", pair.A.GetProperty("trialId").GetString());
        Assert.Contains(Factors.Geography, pair.Factors);
        Assert.Equal("shared_intervention", pair.Relation);
        Assert.Equal(["tadalafil"], pair.A.GetProperty("interventions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["tadalafil"], pair.B.GetProperty("interventions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Mines_a_stored_trial_again_after_the_pairs_are_reset()
    {
        var first = NewId.NextGuid();
        await services.Bus.Publish(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:16-2").ToMessage(first));
        var stored = (await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == first)).Single();
        await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == first);

        var latest = await services.Pairs.ResetMiningAsync(CancellationToken.None);
        Assert.Contains(latest, t => t.SourceRecordId == "clinDR:16-2");
        Assert.Equal(0, await PairCountAsync("clinDR:16-2"));

        var again = NewId.NextGuid();
        await services.Bus.Publish(stored with { IsNewVersion = false, CorrelationId = again });
        var mined = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == again)).Single();

        Assert.Equal(6, mined.NewPairs); // four dose groups
        Assert.Equal(6, await PairCountAsync("clinDR:16-2"));
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
}
