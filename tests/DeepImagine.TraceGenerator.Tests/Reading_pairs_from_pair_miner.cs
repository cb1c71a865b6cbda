using System.Text.Json;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Pairs;
using DeepImagine.TraceGenerator.PairMiner;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Tests;

public class Reading_pairs_from_pair_miner
{
    [Fact]
    public async Task A_pair_read_through_the_contract_is_the_pair_pair_miner_mined()
    {
        // Dose pairs carry what the pairs rewrite added: dose provenance, the dosed intervention, placebo, analysis groups.
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 11).WithTrial("NCT02305381", 12);
        var ids = Enumerable.Range(1, pairMiner.Pairs.Count).Select(i => (long)i).ToList();

        var read = await pairMiner.Client().GetPairsAsync(ids, CancellationToken.None);

        Assert.Equal(ids, read.Select(p => p.Id));
        Assert.Equal(pairMiner.Pairs.Select(p => p.Key), read.Select(p => p.Pair.Key));
        Assert.Equal(pairMiner.Pairs.Select(p => JsonSerializer.Serialize(p, TrialJson.Options)), read.Select(p => JsonSerializer.Serialize(p.Pair, TrialJson.Options)));
        Assert.Contains(read, p => p.Pair.A.Dose?.Provenance is not null && p.Pair.A.DosedIntervention is not null);
        Assert.Contains(read, p => p.Pair.A.ReceivesPlacebo || p.Pair.B.ReceivesPlacebo);
        Assert.Contains(read, p => p.Pair.Comparison is { GroupIds.Count: 2, CellsPerGroup: 1 });
    }

    [Fact]
    public async Task Many_ids_are_asked_for_in_pages_and_ids_pair_miner_lacks_are_left_out()
    {
        var pairMiner = new FakePairMiner().WithTrial("NCT01037244", 13);
        var ids = Enumerable.Range(1, 2 * PairMinerClient.IdsPerRequest + 1).Select(i => (long)i).Reverse().ToList();

        var read = await pairMiner.Client().GetPairsAsync(ids, CancellationToken.None);

        Assert.Equal(3, pairMiner.PairCalls);
        Assert.Equal(ids.Order(), pairMiner.RequestedIds);
        Assert.Equal(Enumerable.Range(1, pairMiner.Pairs.Count).Select(i => (long)i), read.Select(p => p.Id));
    }

    [Fact]
    public void A_record_without_the_trial_row_id_is_refused_naming_the_pair_and_the_field()
    {
        var pair = new FakePairMiner().WithTrial("NCT01037244", 14).Pairs[0];
        var record = PairRecordMapping.ToRecord(42, pair);
        var old = record with { B = record.B with { TrialRowId = null } };

        var error = Assert.Throws<FormatException>(() => PairRecordToDomain.ToMinedPair(old));
        Assert.Contains("pair 42", error.Message, StringComparison.Ordinal);
        Assert.Contains("trialRowId", error.Message, StringComparison.Ordinal);
    }
}
