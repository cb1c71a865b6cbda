namespace DeepImagine.Pairs.Tests;

public class Mining_natural_pairs
{
    [Fact]
    public void A_dose_ranging_study_yields_dose_pairs_with_the_right_doses_and_values()
    {
        // NCT01037244: udenafil 50 / 100 / 150 mg vs placebo; first outcome: change in IIEF-EF (4.85, 6.98, 7.76, -0.19).
        var pairs = Mined.Pairs("NCT01037244");
        var dosePairs = pairs.Where(p => p.Factors.SequenceEqual([Factors.Dose]) && p.A.OutcomeId == "O0").ToList();

        Assert.Equal(3, dosePairs.Count);
        Assert.All(dosePairs, p => Assert.Equal("dose_ranging", p.Relation));
        Assert.Equal([(50.0, 100.0), (50.0, 150.0), (100.0, 150.0)],
            dosePairs.Select(p => (p.A.Dose!.Amount!.Value, p.B.Dose!.Amount!.Value)).Order());
        var low = dosePairs.Single(p => p.A.Dose!.Amount == 50 && p.B.Dose!.Amount == 150);
        Assert.Equal(4.85, low.A.Value);
        Assert.Equal(7.76, low.B.Value);
        Assert.Equal("mg", low.B.Dose!.Unit);
        Assert.Equal(150, low.A.N);
        Assert.Equal(154, low.B.N);
        Assert.Equal("Baseline and Week 12", low.A.TimeFrame);
    }

    [Fact]
    public void A_drug_versus_placebo_pair_carries_its_reported_p_value()
    {
        var pair = Mined.Pairs("NCT01037244").ArmPair("O0", "Placebo", "Udenafil 50 mg");

        Assert.Equal([Factors.Arm], pair.Factors);
        Assert.Equal("drug_vs_placebo", pair.Relation);
        Assert.Equal("<0.0001", pair.Comparison!.PValueText);
        Assert.Equal(0.0001, pair.Comparison.PValue);
        Assert.Equal("<", pair.Comparison.PValueComparator);
        Assert.Equal("ANCOVA", pair.Comparison.Method);
        Assert.Equal(5.04, pair.Comparison.Estimate);
        Assert.Empty(pair.A.Interventions);
        Assert.Equal(["udenafil"], pair.B.Interventions);
    }

    [Fact]
    public void A_placebo_arm_that_later_receives_the_drug_is_still_the_placebo_comparator()
    {
        // NCT00833638: the placebo arm switches to tadalafil after 14 days, so it lists tadalafil too.
        var pair = Mined.Pairs("NCT00833638").ArmPair("O1", "Placebo", "Tadalafil 2.5 mg");

        Assert.Equal("drug_vs_placebo", pair.Relation);
        Assert.Equal("<0.001", pair.Comparison!.PValueText);
    }

    [Fact]
    public void An_arm_measured_at_two_time_frames_yields_an_outcome_pair()
    {
        // NCT00931528, outcome 2: spontaneous erectile function at Year 1 (72.2) and Year 2 (68.4) in the tadalafil arm.
        var pair = Mined.Pairs("NCT00931528").Single(p => p.Relation == "time_frame" && p.A.OutcomeId == "O1" && p.A.Arm == "Tadalafil");

        Assert.Equal([Factors.Outcome], pair.Factors);
        Assert.Equal("Year 1", pair.A.Class);
        Assert.Equal("Year 2", pair.B.Class);
        Assert.Equal(72.2, pair.A.Value);
        Assert.Equal(68.4, pair.B.Value);
        Assert.Equal(pair.A.GroupId, pair.B.GroupId);
    }

    [Fact]
    public void One_arm_on_two_measures_yields_an_outcome_pair()
    {
        var pairs = Mined.Pairs("NCT02305381");

        var pair = pairs.Single(p => p.Relation == "other_measure" && p.A.OutcomeId == "O0" && p.B.OutcomeId == "O1" && p.A.Arm == "Semaglutide 1.0 mg/Week");
        Assert.Equal(-1.85, pair.A.Value);
        Assert.Equal(-6.42, pair.B.Value);
        Assert.Equal(DirectionLabel.Incomparable, pair.Direction.Direction); // % HbA1c and kg do not compare
    }

    [Fact]
    public void A_clinDR_protocol_with_four_dose_groups_yields_six_dose_pairs()
    {
        // clinDR:10-1, dofetilide 0 (placebo), 0.25, 0.5, 1 BID: maintenance of sinus rhythm at 12 months.
        var pairs = Mined.Pairs("clinDR:10-1");

        Assert.Equal(6, pairs.Count);
        Assert.All(pairs, p => Assert.Equal([Factors.Dose], p.Factors));
        Assert.Equal(3, pairs.Count(p => p.Relation == "dose_vs_placebo"));
        Assert.Equal([(0.0, 0.25), (0.0, 0.5), (0.0, 1.0), (0.25, 0.5), (0.25, 1.0), (0.5, 1.0)],
            pairs.Select(p => (p.A.Dose!.Amount!.Value, p.B.Dose!.Amount!.Value)).Order());
        var top = pairs.Single(p => p.A.Dose!.Amount == 0 && p.B.Dose!.Amount == 1);
        Assert.Equal(0.203, top.A.Value);
        Assert.Equal(0.465, top.B.Value);
        Assert.Equal(77, top.B.N);
    }

    [Fact]
    public void Pair_keys_are_unique_and_stable_across_minings()
    {
        var first = Mined.Pairs("NCT01037244").Select(p => p.Key).ToList();
        var again = Mined.Pairs("NCT01037244").Select(p => p.Key).ToList();

        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.Equal(first, again);
        Assert.DoesNotContain(Mined.Pairs("NCT01037244", rowId: 2).Select(p => p.Key), first.Contains);
    }
}
