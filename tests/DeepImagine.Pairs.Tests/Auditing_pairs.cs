using DeepImagine.Trials;
using static DeepImagine.Pairs.Tests.Sides;

namespace DeepImagine.Pairs.Tests;

/// <summary>The pair invariants of <c>deepimagine pairs audit</c>, each on a pair that holds it and one that breaks it.</summary>
public class Auditing_pairs
{
    [Fact]
    public void A_dose_ranging_pair_needs_two_parsed_different_doses_of_the_same_intervention()
    {
        var low = Side("G1", dose: Mg(50));
        Assert.False(PairAudit.DoseRangingHasNoDoseDifference(Pair(low, Side("G2", dose: Mg(100)), PairRelations.DoseRanging)));
        Assert.True(PairAudit.DoseRangingHasNoDoseDifference(Pair(low, Side("G2", dose: Mg(50)), PairRelations.DoseRanging)));
        Assert.True(PairAudit.DoseRangingHasNoDoseDifference(Pair(low, Side("G2"), PairRelations.DoseRanging)));
        Assert.True(PairAudit.DoseRangingHasNoDoseDifference(Pair(low, Side("G2", interventions: ["other"], dose: Mg(100)), PairRelations.DoseRanging)));
        // The same amount at another frequency is a different dose.
        Assert.False(PairAudit.DoseRangingHasNoDoseDifference(Pair(Side("G1", dose: Mg(250, "once daily")), Side("G2", dose: Mg(250, "twice daily")), PairRelations.DoseRanging)));
    }

    [Fact]
    public void A_placebo_relation_needs_a_placebo_sham_or_no_intervention_anchor()
    {
        Assert.False(PairAudit.PlaceboAnchorIsNotPlacebo(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo)));
        Assert.False(PairAudit.PlaceboAnchorIsNotPlacebo(Pair(Side("N", armType: ArmTypes.NoIntervention, interventions: []), Side(), PairRelations.DrugVsNoIntervention)));
        // A "Total" group without interventions, or an arm that only receives the drug, is no placebo anchor.
        Assert.True(PairAudit.PlaceboAnchorIsNotPlacebo(Pair(Side("T", armType: null, interventions: []), Side(), PairRelations.DrugVsPlacebo)));
        Assert.True(PairAudit.PlaceboAnchorIsNotPlacebo(Pair(Side("A"), Side(), PairRelations.DrugVsPlacebo)));
        var zero = new Dose(0, null, null, null, "0", DoseProvenance.DoseTable);
        Assert.False(PairAudit.PlaceboAnchorIsNotPlacebo(Pair(Side("P", interventions: [], dose: zero), Side(), PairRelations.DoseVsPlacebo)));
    }

    [Fact]
    public void No_side_may_have_zero_participants()
    {
        Assert.True(PairAudit.HasZeroNSide(Pair(Placebo() with { N = 0 }, Side(), PairRelations.DrugVsPlacebo)));
        Assert.False(PairAudit.HasZeroNSide(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo)));
    }

    [Fact]
    public void Different_measures_must_be_labelled_incomparable()
    {
        var kessler = Side("G1", title: "Kessler-10 score", unit: "units on a scale");
        var sis = Side("G1", outcome: "O1", title: "SIS-16 score", unit: "units on a scale");
        Assert.True(PairAudit.DifferentMeasuresLabelledComparable(Pair(kessler, sis, PairRelations.OtherMeasure, direction: DirectionLabel.Same)));
        Assert.False(PairAudit.DifferentMeasuresLabelledComparable(Pair(kessler, sis, PairRelations.OtherMeasure)));
        // Two categories of one measure are different measures too.
        var stable = Side("G1", category: "Stable Disease", param: "COUNT_OF_PARTICIPANTS", unit: "participants");
        var complete = Side("G2", category: "Complete Response", param: "COUNT_OF_PARTICIPANTS", unit: "participants");
        Assert.True(PairAudit.DifferentMeasuresLabelledComparable(Pair(stable, complete, PairRelations.DrugVsPlacebo, direction: DirectionLabel.Lower)));
    }

    [Fact]
    public void An_analysis_must_be_on_exactly_the_two_groups_of_a_single_cell_measure()
    {
        PairComparison Analysis(string[] groups, int cells) => new("0.01", 0.01, "=", null, null, null, null, null, groups, cells);
        Assert.False(PairAudit.AnalysisIsOnAnotherCell(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo, Analysis(["P", "G1"], 1))));
        Assert.True(PairAudit.AnalysisIsOnAnotherCell(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo, Analysis(["P", "G2"], 1))));
        Assert.True(PairAudit.AnalysisIsOnAnotherCell(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo, Analysis(["P", "G1"], 4))));
        Assert.True(PairAudit.AnalysisIsOnAnotherCell(Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo, new PairComparison("0.01", 0.01, "=", null, null, null, null, null))));
    }

    [Fact]
    public void The_summary_line_names_every_invariant_with_its_count()
    {
        var counts = PairAudit.Count([Pair(Placebo() with { N = 0 }, Side(), PairRelations.DrugVsPlacebo), Pair(Placebo(), Side(), PairRelations.DrugVsPlacebo)]);

        Assert.Equal("dose_ranging_without_dose_difference=0 placebo_anchor_not_placebo=0 zero_n_side=1 different_measure_comparable=0 analysis_on_other_cell=0",
            PairAudit.SummaryLine(counts));
    }

    [Fact]
    public void Mining_every_bundled_record_breaks_no_invariant()
    {
        var trials = SourceFiles.Read([Path.Combine(DeepImagine.Tests.RepoRoot.Path, "data")]).Select(TrialRecordParser.Parse);
        var audit = MiningAudit.Run(trials);

        Assert.Equal(812 + 146 + 361 + 320, audit.Trials);
        Assert.True(audit.Pairs > 10_000, $"{audit.Pairs} pairs");
        Assert.All(audit.Violations, v => Assert.Equal(0, v.Value));
        Assert.True(audit.Dropped[NaturalPairMiner.Drops.GroupNotAnArm] > 0);
    }
}
