namespace DeepImagine.Trials.Tests;

/// <summary>Specific values read from real records, checked against the record text by hand.</summary>
public class Reading_known_records
{
    [Fact]
    public void A_v2_dose_ranging_study_keeps_its_arms_doses_measurements_and_p_values()
    {
        // NCT01037244: udenafil 50/100/150 mg vs placebo, phase 3, 618 men, United States.
        var trial = RepoData.V2Trial("NCT01037244");

        Assert.Equal(["PHASE3"], trial.Phases);
        Assert.Equal(618, trial.Enrollment);
        Assert.Equal("MALE", trial.Eligibility.Sex);
        Assert.Equal(19, trial.Eligibility.MinimumAge!.Years);
        Assert.Null(trial.Eligibility.MaximumAge);
        Assert.Contains("United States", trial.Countries);
        Assert.Equal(["Placebo", "Udenafil 50 mg", "Udenafil 100 mg", "Udenafil 150 mg"], trial.Arms.Select(a => a.Label));

        var udenafil100 = trial.Arms.Single(a => a.Label == "Udenafil 100 mg").Interventions.Single();
        Assert.Equal("Udenafil", udenafil100.Name);
        Assert.Equal(100, udenafil100.Dose!.Amount);
        Assert.Equal("mg", udenafil100.Dose.Unit);
        Assert.Equal("oral", udenafil100.Dose.Route);
        Assert.True(trial.Arms.Single(a => a.Label == "Placebo").Interventions.Single().IsPlacebo);

        var iief = trial.Outcomes[0];
        Assert.Equal("PRIMARY", iief.Kind);
        Assert.Equal("Baseline and Week 12", iief.TimeFrame);
        Assert.Equal("LEAST_SQUARES_MEAN", iief.ParamType);
        Assert.Equal("units on a scale", iief.Unit);
        // Group titles differ in spacing from the arm labels ("Udenafil 150mg"): still matched.
        Assert.Equal("Udenafil 150 mg", iief.Groups.Single(g => g.Id == "OG002").ArmLabel);
        var m150 = iief.Measurements.Single(m => m.GroupId == "OG002");
        Assert.Equal(7.76, m150.Value!.Value);
        Assert.Equal(8.53, m150.Spread!.Value);
        Assert.Equal(6.54, m150.LowerLimit!.Value);
        Assert.Equal(8.98, m150.UpperLimit!.Value);
        Assert.Equal(154, m150.N);
        Assert.Equal(-0.19, iief.Measurements.Single(m => m.GroupId == "OG003").Value!.Value);

        var vs50 = iief.Analyses[0];
        Assert.Equal(["OG000", "OG003"], vs50.GroupIds);
        Assert.Equal(0.0001, vs50.PValue!.Value);
        Assert.Equal("<", vs50.PValue.Comparator);
        Assert.Equal("<0.0001", vs50.PValue.Text);
        Assert.Equal("ANCOVA", vs50.Method);
        Assert.Equal(5.04, vs50.Estimate!.Value);
        Assert.Equal(3.36, vs50.CiLower!.Value);
        Assert.Equal(6.73, vs50.CiUpper!.Value);
    }

    [Fact]
    public void A_v2_study_with_doses_in_arm_labels_and_route_in_the_description()
    {
        // NCT00790751: avanafil 50/100/200 mg vs placebo, "30 minutes orally prior to initiation of sexual activity".
        var trial = RepoData.V2Trial("NCT00790751");
        var doses = trial.Arms.Where(a => a.Label.StartsWith("avanafil", StringComparison.Ordinal))
            .Select(a => a.Interventions.Single().Dose!).ToList();

        Assert.Equal([50.0, 100.0, 200.0], doses.Select(d => d.Amount!.Value));
        Assert.All(doses, d => Assert.Equal("oral", d.Route));
        Assert.Equal(["TA-1790", "Stendra"], trial.Interventions.First(i => i.Name == "avanafil").OtherNames);
        var first = trial.Outcomes[0];
        Assert.Equal(27.8, first.Measurements.Single(m => m.GroupId == "OG001").Value!.Value);
        Assert.Equal(154, first.Measurements.Single(m => m.GroupId == "OG001").N);
        Assert.Equal("STANDARD_ERROR", first.DispersionType);
        Assert.Equal("2008-11", trial.StartDate);
    }

    [Fact]
    public void A_legacy_xml_study_keeps_its_arms_doses_measurements_and_p_values()
    {
        // NCT02305381 (SUSTAIN 5): semaglutide 0.5 / 1.0 mg once weekly vs placebo.
        var trial = RepoData.LegacyTrial("NCT02305381");

        Assert.Equal(4, trial.Arms.Count);
        var half = trial.Arms.Single(a => a.Label == "Semaglutide 0.5 mg/Week").Interventions.Single();
        Assert.Equal(0.5, half.Dose!.Amount);
        Assert.Equal("mg", half.Dose.Unit);
        Assert.Equal("once weekly", half.Dose.Frequency);
        Assert.Equal("subcutaneous", half.Dose.Route);
        Assert.Equal("EXPERIMENTAL", trial.Arms[0].Type);
        Assert.Equal("PLACEBO_COMPARATOR", trial.Arms[2].Type);

        var hba1c = trial.Outcomes[0];
        Assert.Equal("PRIMARY", hba1c.Kind);
        Assert.Equal("Change in HbA1c (Glycosylated Haemoglobin)", hba1c.Title);
        Assert.Equal("Week 0, week 30", hba1c.TimeFrame);
        Assert.Equal("percentage of glycosylated hemoglobin", hba1c.Unit);
        Assert.Equal("LEAST_SQUARES_MEAN", hba1c.ParamType);
        Assert.Equal("STANDARD_ERROR", hba1c.DispersionType);
        Assert.Equal("Semaglutide 0.5 mg/Week", hba1c.Groups.Single(g => g.Id == "O1").ArmLabel);
        var o2 = hba1c.Measurements.Single(m => m.GroupId == "O2");
        Assert.Equal(-1.85, o2.Value!.Value);
        Assert.Equal(0.09, o2.Spread!.Value);
        Assert.Equal(131, o2.N);

        var oneVsPlacebo = hba1c.Analyses[0];
        Assert.Equal(["O2", "O3"], oneVsPlacebo.GroupIds);
        Assert.Equal("<", oneVsPlacebo.PValue!.Comparator);
        Assert.Equal(0.0001, oneVsPlacebo.PValue.Value);
        Assert.Equal("Mixed Models Analysis", oneVsPlacebo.Method);
        Assert.Equal(-1.75, oneVsPlacebo.Estimate!.Value);
        Assert.Equal(-2.01, oneVsPlacebo.CiLower!.Value);
        Assert.Equal(-1.50, oneVsPlacebo.CiUpper!.Value);
    }

    [Fact]
    public void An_older_legacy_record_takes_each_groups_N_from_its_participant_count_measure()
    {
        // NCT00258895 (2008-era layout): "Number of Participants" 485 / 162, then the percentages.
        var trial = RepoData.LegacyTrial("NCT00258895");
        var first = trial.Outcomes[0];

        Assert.Equal(485, first.Groups.Single(g => g.Id == "O1").ParticipantsAnalyzed);
        var redness = first.Measurements.Single(m => m.GroupId == "O2" && m.Category == "Any Redness (> 5 mm)");
        Assert.Equal(24, redness.Value!.Value);
        Assert.Equal(162, redness.N);
        Assert.DoesNotContain(first.Measurements, m => m.Value?.Value == 485);
    }

    [Fact]
    public void A_clinDR_protocol_becomes_a_placebo_anchored_dose_group_trial()
    {
        // clinDR taid 1, protid 2 (PF-00734200, protocol A7941006): CFB HbA1c at 12 weeks, doses 0, 20, 30 mg QD.
        var trial = TrialRecordParser.Parse(SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:1-2"));

        Assert.Equal(["Placebo", "PF-00734200 20 QD", "PF-00734200 30 QD"], trial.Arms.Select(a => a.Label));
        Assert.True(trial.Arms[0].Interventions[0].IsPlacebo);
        Assert.Equal(0, trial.Arms[0].Interventions[0].Dose!.Amount);
        Assert.Equal("once daily", trial.Arms[1].Interventions[0].Dose!.Frequency);
        var outcome = Assert.Single(trial.Outcomes);
        Assert.Equal("12 WK", outcome.TimeFrame);
        var twenty = outcome.Measurements.Single(m => m.GroupId == "PF-00734200 20 QD");
        Assert.Equal(-0.943157894736842, twenty.Value!.Value!.Value, 12);
        Assert.Equal(0.0958915567932368, twenty.Spread!.Value!.Value, 12);
        Assert.Equal(95, twenty.N);
    }
}
