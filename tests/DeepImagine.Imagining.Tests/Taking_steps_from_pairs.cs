using DeepImagine.Pairs;
using DeepImagine.Pairs.Tests;
using DeepImagine.Trials;

namespace DeepImagine.Imagining.Tests;

public class Taking_steps_from_pairs
{
    [Fact]
    public void A_dose_pair_gives_the_step_up_and_the_step_down_with_opposite_answers()
    {
        // NCT01037244, first outcome: udenafil 50 mg 4.85 vs 150 mg 7.76 (change in IIEF-EF); the dose text is the results group title, which the record writes "Udenafil 150mg".
        var pair = Mined.Pairs("NCT01037244").Single(p => p.Factors.SequenceEqual([Factors.Dose]) && p.A.OutcomeId == "O0" && p.A.Dose!.Amount == 50 && p.B.Dose!.Amount == 150);

        var steps = PairSteps.FromPair(pair);

        Assert.Equal(2, steps.Count);
        var (up, down) = (steps[0], steps[1]);
        Assert.Equal("A->B", up.Orientation);
        Assert.Equal(new Perturbation(Factors.Dose, "Udenafil 50 mg", "Udenafil 150mg") { Dose = new DoseChange(50, 150) }, up.Perturbation);
        Assert.Equal("4.85", up.State.Arm.ValueText);
        Assert.Equal(ImaginedResult.Of(ResultDirection.Higher, Math.Round(Math.Log(7.76 / 4.85), 3), pair.Direction.Significant), up.Observed);
        Assert.Equal("B->A", down.Orientation);
        Assert.Equal(new Perturbation(Factors.Dose, "Udenafil 150mg", "Udenafil 50 mg") { Dose = new DoseChange(150, 50) }, down.Perturbation);
        Assert.Equal("7.76", down.State.Arm.ValueText);
        Assert.Equal(ResultDirection.Lower, down.Observed.Direction);
        Assert.Equal(-up.Observed.LogRatio, down.Observed.LogRatio);
        Assert.Contains("- From: Udenafil 50 mg\n- To: Udenafil 150mg\n- Dose change: 3 times the current dose (a higher dose)\n", up.Prompt.User, StringComparison.Ordinal);
        Assert.Contains("- Dose change: 0.333 times the current dose (a lower dose)\n", down.Prompt.User, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drug_versus_placebo_pair_has_no_log_ratio_when_a_value_is_negative_and_keeps_its_significance()
    {
        // Placebo -0.19 vs udenafil 50 mg 4.85, p < 0.0001.
        var pair = Mined.Pairs("NCT01037244").ArmPair("O0", "Placebo", "Udenafil 50 mg");

        var step = PairSteps.FromPair(pair)[0];

        Assert.Equal(Factors.Arm, step.Factor);
        Assert.Equal("Placebo (placebo or no intervention)", step.Perturbation.From);
        Assert.StartsWith("Udenafil 50 mg (udenafil", step.Perturbation.To, StringComparison.Ordinal);
        Assert.Equal(ImaginedResult.Of(ResultDirection.Higher, null, true), step.Observed);
    }

    [Fact]
    public void Participant_counts_compare_as_proportions_of_each_group()
    {
        var a = Side("A", 10, n: 100) with { ParamType = "COUNT_OF_PARTICIPANTS", Unit = "participants" };
        var b = Side("B", 30, n: 150) with { ParamType = "COUNT_OF_PARTICIPANTS", Unit = "participants" };

        Assert.Equal(Math.Round(Math.Log(0.2 / 0.1), 3), PairSteps.LogRatio(a, b));
        Assert.Null(PairSteps.LogRatio(a with { N = null }, b));
    }

    [Fact]
    public void A_pair_that_differs_in_more_than_one_factor_gives_no_step_and_says_why()
    {
        var pair = Pair([Factors.Dose, Factors.Geography], DirectionLabel.Higher);

        Assert.Empty(PairSteps.FromPair(pair));
        Assert.Equal("differs in 2 factors (dose, geography); a step changes exactly one", PairSteps.WhyNoStep(pair));
    }

    [Fact]
    public void A_pair_of_incomparable_results_gives_no_step()
    {
        var pair = Pair([Factors.Outcome], DirectionLabel.Incomparable);

        Assert.Empty(PairSteps.FromPair(pair));
        Assert.StartsWith("results are not comparable", PairSteps.WhyNoStep(pair), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> TrialLevelFactors => new()
    {
        { Factors.Population, "sex ALL, age 18 Years to 65 Years, conditions Erectile Dysfunction", "sex MALE, age 18 Years to 65 Years, conditions Erectile Dysfunction" },
        { Factors.Geography, "Korea, Republic of", "United States, Canada" },
        { Factors.Design, "phase PHASE2, allocation RANDOMIZED, masking DOUBLE, enrollment 60", "phase PHASE3, allocation RANDOMIZED, masking DOUBLE, enrollment 600" },
    };

    [Theory]
    [MemberData(nameof(TrialLevelFactors))]
    public void A_trial_level_change_is_described_from_the_two_trials_and_needs_them(string factor, string from, string to)
    {
        var pair = Pair([factor], DirectionLabel.Lower) with { Kind = PairKinds.Approximate };
        var trialA = Trial("NCT1", "ALL", ["Korea, Republic of"], "PHASE2", 60);
        var trialB = Trial("NCT2", factor == Factors.Population ? "MALE" : "ALL",
            factor == Factors.Geography ? ["United States", "Canada"] : ["Korea, Republic of"],
            factor == Factors.Design ? "PHASE3" : "PHASE2", factor == Factors.Design ? 600 : 60);

        var steps = PairSteps.FromPair(pair, trialA, trialB);

        Assert.Equal(new Perturbation(factor, from, to), steps[0].Perturbation);
        Assert.Equal(new Perturbation(factor, to, from), steps[1].Perturbation);
        Assert.Equal(ResultDirection.Lower, steps[0].Observed.Direction);
        Assert.Equal(ResultDirection.Higher, steps[1].Observed.Direction);
        Assert.Equal(["Erectile Dysfunction"], steps[0].State.Conditions);
        Assert.Empty(PairSteps.FromPair(pair));
    }

    [Fact]
    public void An_outcome_step_names_the_measure_cell_and_time_frame()
    {
        // NCT00931528, outcome 2: tadalafil at Year 1 (72.2) then Year 2 (68.4).
        var pair = Mined.Pairs("NCT00931528").Single(p => p.Relation == "time_frame" && p.A.OutcomeId == "O1" && p.A.Arm == "Tadalafil");

        var step = PairSteps.FromPair(pair)[0];

        Assert.Contains("(Year 1)", step.Perturbation.From, StringComparison.Ordinal);
        Assert.Contains("(Year 2)", step.Perturbation.To, StringComparison.Ordinal);
        Assert.Equal(Math.Round(Math.Log(68.4 / 72.2), 3), step.Observed.LogRatio);
    }

    [Fact]
    public void A_dose_change_counts_a_placebo_side_as_no_active_dose_and_needs_one_unit()
    {
        var drug = Side("A", 5);
        var placebo = Side("B", 4) with { Interventions = [], Dose = null };
        var grams = Side("B", 4) with { Dose = new Dose(1, "g", null, null, "1 g") };
        var unstated = Side("B", 4) with { Dose = new Dose(null, null, "QD", null, "once daily") };

        Assert.Equal(new DoseChange(10, 0), PairSteps.DoseChangeOf(Factors.Dose, drug, placebo));
        Assert.Equal(new DoseChange(0, 10), PairSteps.DoseChangeOf(Factors.Dose, placebo, drug));
        Assert.Null(PairSteps.DoseChangeOf(Factors.Dose, drug, grams));
        Assert.Null(PairSteps.DoseChangeOf(Factors.Dose, drug, unstated));
        Assert.Null(PairSteps.DoseChangeOf(Factors.Arm, drug, placebo));
    }

    private static PairSide Side(string arm, double value, int? n = 50) => new()
    {
        TrialId = "NCT" + arm, Source = "ctgov", SourceRecordId = "NCT" + arm, Version = 1, TrialRowId = arm == "A" ? 1 : 2, GroupId = "G" + arm,
        Arm = arm, Interventions = ["drug"], Dose = new Dose(10, "mg", null, null, "10 mg"), OutcomeId = "O0", OutcomeTitle = "Score",
        Value = value, ValueText = value.ToString(System.Globalization.CultureInfo.InvariantCulture), N = n,
    };

    private static CounterfactualPair Pair(IReadOnlyList<string> factors, string direction) => new()
    {
        Kind = PairKinds.Natural, Factors = factors, Relation = "test", A = Side("A", 5), B = Side("B", 4),
        Direction = new DirectionLabel(direction, "values (no spread reported)", null, null, null, null),
    };

    private static Trial Trial(string id, string sex, IReadOnlyList<string> countries, string phase, int enrollment) => new()
    {
        TrialId = id, Source = "ctgov", SourceRecordId = id, Format = RecordFormat.CtgovV2Json,
        Conditions = ["Erectile Dysfunction"], Countries = countries, Phases = [phase], Enrollment = enrollment,
        Design = new StudyDesign { Allocation = "RANDOMIZED", Masking = "DOUBLE" },
        Eligibility = new Eligibility { Sex = sex, MinimumAge = new AgeLimit("18 Years", 18), MaximumAge = new AgeLimit("65 Years", 65) },
    };
}
