namespace DeepImagine.Trials.Tests;

/// <summary>Results groups mapped to registered arms from the record's own structure (issue 18's audited trials).</summary>
public class Mapping_groups_to_arms
{
    private static IReadOnlyList<ResultGroup> Groups(string nctId, string outcomeId) =>
        RepoData.LegacyTrial(nctId).Outcomes.Single(o => o.Id == outcomeId).Groups;

    [Fact]
    public void Adverse_event_grades_of_the_same_patients_are_not_arms()
    {
        // NCT00499252: one arm; O1's groups are grade 0 to 3 of the same 47 patients.
        Assert.All(Groups("NCT00499252", "O1"), g => Assert.Null(g.ArmLabel));
        Assert.All(Groups("NCT00499252", "O1"), g => Assert.NotNull(g.NotAnArm));
        // The single group of the single arm is that arm, whatever its title ("Abraxane®").
        Assert.Equal("Treatment (paclitaxel albumin-stabilized nanoparticle)", Assert.Single(Groups("NCT00499252", "O0")).ArmLabel);
    }

    [Fact]
    public void Treatment_phases_are_not_arms()
    {
        // NCT00492856 O0: induction, consolidation, maintenance and gemtuzumab phases of one cohort.
        Assert.All(Groups("NCT00492856", "O0"), g => Assert.Null(g.ArmLabel));
        Assert.Equal(["Post-consolidation therapy arm I", "Post-consolidation therapy arm II"], Groups("NCT00492856", "O1").Select(g => g.ArmLabel));
    }

    [Fact]
    public void Dose_groups_registered_as_one_arm_are_arms_with_the_dose_their_titles_state()
    {
        // NCT00495469: arms "GSK189075" and "Placebo"; results groups 100 / 250 / 500 / 1000 mg QD and 250 mg BID.
        var groups = Groups("NCT00495469", "O0");

        Assert.Equal("Placebo", groups.Single(g => g.Title == "Placebo").ArmLabel);
        var doses = groups.Where(g => g.ArmLabel == "GSK189075").Select(g => (g.Dose!.Amount, g.Dose.Frequency, g.Dose.Provenance)).ToList();
        Assert.Equal([(100.0, "once daily", DoseProvenance.GroupTitle), (250.0, "once daily", DoseProvenance.GroupTitle), (500.0, "once daily", DoseProvenance.GroupTitle),
            (1000.0, "once daily", DoseProvenance.GroupTitle), (250.0, "twice daily", DoseProvenance.GroupTitle)], doses);
        // The pioglitazone group has no registered arm or intervention.
        Assert.Null(groups.Single(g => g.Title.StartsWith("Pioglitazone", StringComparison.Ordinal)).ArmLabel);
    }

    [Fact]
    public void Capsule_strengths_and_either_or_regimens_give_no_dose()
    {
        // NCT00495469's intervention description lists tablet strengths (50, 125, 250, 500 mg): no dose of the arm.
        Assert.Null(RepoData.LegacyTrial("NCT00495469").Arms.Single(a => a.Label == "GSK189075").Interventions[0].Dose?.Amount);
        // NCT00000142: the deferral arm gets "either 3 mg/kg or 5 mg/kg" maintenance; the dose arms state theirs.
        var arms = RepoData.LegacyTrial("NCT00000142").Arms.ToDictionary(a => a.Label, a => a.Interventions[0].Dose);
        Assert.Null(arms["treatment deferral"]?.Amount);
        Assert.Equal((3.0, "mg/kg", DoseProvenance.ArmDescription), (arms["Cidofovir (low dose)"]!.Amount!.Value, arms["Cidofovir (low dose)"]!.Unit, arms["Cidofovir (low dose)"]!.Provenance));
        Assert.Equal(5.0, arms["Cidofovir (high dose)"]!.Amount);
    }

    [Fact]
    public void Group_titles_naming_a_dose_in_mg_per_square_metre_give_that_dose()
    {
        // NCT00006604: "Step I: Group 4: ATV Dose: 620mg/m^2 Capsule" is arm "Step I: Group 4" at 620 mg/m2.
        var group = Groups("NCT00006604", "O0").Single(g => g.Title.Contains("Group 4", StringComparison.Ordinal));

        Assert.Equal("Step I: Group 4", group.ArmLabel);
        Assert.Equal((620.0, "mg/m2"), (group.Dose!.Amount!.Value, group.Dose.Unit!));
    }

    [Fact]
    public void Crossover_sequences_are_not_arms_even_when_their_titles_are_arm_labels()
    {
        // NCT00460993: "Group 1" = drug in phase 1 then placebo in phase 2.
        Assert.All(Groups("NCT00460993", "O0"), g => Assert.Null(g.ArmLabel));
    }

    [Fact]
    public void A_class_reports_its_own_analysed_count()
    {
        // NCT00495469 O1 (HbA1c at weeks 4 and 8): the "Week 4" class gives placebo N = 30, the measure 33.
        var outcome = RepoData.LegacyTrial("NCT00495469").Outcomes.Single(o => o.Id == "O1");
        var week4 = outcome.Measurements.Single(m => m.Class == "Week 4" && m.GroupId == "O1");

        Assert.Equal(30, week4.N);
        Assert.NotEqual(week4.N, outcome.Groups.Single(g => g.Id == "O1").ParticipantsAnalyzed);
    }
}
