using System.Text.Json;
using System.Text.Json.Nodes;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Pairs;
using DeepImagine.Trials.Tests;

namespace DeepImagine.PairMiner.Tests;

public class Reading_the_pair_contract
{
    private static IReadOnlyList<PairRecord> Records() =>
        NaturalPairMiner.Mine(RepoData.V2Trial("NCT01037244"), new TrialRef(1, "NCT01037244", "ctgov-v2", "NCT01037244", 1))
            .Select((pair, i) => PairRecordMapping.ToRecord(i + 1, pair)).ToList();

    [Fact]
    public void Exported_lines_read_back_to_the_same_records()
    {
        var records = Records();
        var lines = records.Select(r => JsonSerializer.Serialize(r, ContractJson.Options)).ToList();

        var read = lines.Select((line, i) => ContractJson.ReadPair(line, i + 1)).ToList();

        Assert.True(records.Count > 10);
        Assert.Equal(lines, read.Select(r => JsonSerializer.Serialize(r, ContractJson.Options)));
        var placebo = read.First(r => r.Relation == "drug_vs_placebo" && r.B.Arm == "Udenafil 50 mg" && r.A.OutcomeId == "O0");
        Assert.Equal((1, "natural", "<0.0001"), (placebo.SchemaVersion, placebo.Kind, placebo.Comparison!.PValueText));
        Assert.Equal(["udenafil"], placebo.B.Interventions);
        Assert.Equal(50, placebo.B.Dose!.Amount);
        Assert.Equal((1L, true, "udenafil"), (placebo.B.TrialRowId, placebo.A.ReceivesPlacebo, placebo.B.DosedIntervention));
        Assert.NotNull(placebo.B.Dose.Provenance);
    }

    [Fact]
    public void A_line_written_before_the_fields_added_within_version_1_is_still_read()
    {
        var line = JsonNode.Parse(JsonSerializer.Serialize(Records().First(r => r.Comparison is not null && r.B.Dose is not null), ContractJson.Options))!.AsObject();
        foreach (var side in new[] { "a", "b" })
        {
            var s = line[side]!.AsObject();
            s.Remove("trialRowId");
            s.Remove("receivesPlacebo");
            s.Remove("dosedIntervention");
            s["dose"]?.AsObject().Remove("provenance");
        }
        line["comparison"]!.AsObject().Remove("groupIds");
        line["comparison"]!.AsObject().Remove("cellsPerGroup");

        var read = ContractJson.ReadPair(line.ToJsonString(), 1);

        Assert.Equal((null, null, null, null), (read.B.TrialRowId, read.B.ReceivesPlacebo, read.B.DosedIntervention, read.B.Dose!.Provenance));
        Assert.Equal((null, null), (read.Comparison!.GroupIds, read.Comparison.CellsPerGroup));
    }

    [Fact]
    public void A_line_of_another_schema_version_is_refused_naming_the_field()
    {
        var line = JsonNode.Parse(JsonSerializer.Serialize(Records()[0], ContractJson.Options))!;
        line["schemaVersion"] = 2;

        var error = Assert.Throws<FormatException>(() => ContractJson.ReadPair(line.ToJsonString(), 3));
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("schemaVersion", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("label")]
    [InlineData("a")]
    [InlineData("factors")]
    public void A_line_without_a_required_field_is_refused(string field)
    {
        var line = JsonNode.Parse(JsonSerializer.Serialize(Records()[0], ContractJson.Options))!.AsObject();
        line.Remove(field);

        var error = Assert.Throws<FormatException>(() => ContractJson.ReadPair(line.ToJsonString(), 1));
        Assert.Contains(field, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_line_with_null_where_the_contract_forbids_it_is_refused()
    {
        var line = JsonNode.Parse(JsonSerializer.Serialize(Records()[0], ContractJson.Options))!.AsObject();
        line["kind"] = null;

        Assert.Throws<FormatException>(() => ContractJson.ReadPair(line.ToJsonString(), 1));
    }
}
