using DeepImagine.Pairs;

namespace DeepImagine.Imagining.Tests;

public class Building_step_prompts
{
    private static readonly ResultState Udenafil50 = new()
    {
        OutcomeMeasure = "Change in IIEF-EF domain score",
        TimeFrame = "Baseline and Week 12",
        Unit = "units on a scale",
        ParamType = "LEAST_SQUARES_MEAN",
        HigherIsBetter = true,
        Arm = new ArmResult { Label = "Udenafil 50 mg", Interventions = ["udenafil"], Dose = "50 mg", ValueText = "4.85", SpreadText = "0.51", SpreadType = "STANDARD_ERROR", N = 150 },
    };

    public static TheoryData<string, string, string> OneChangePerFactor => new()
    {
        { Factors.Dose, "udenafil 50 mg", "udenafil 150 mg" },
        { Factors.Arm, "Placebo (placebo or no intervention)", "Udenafil 50 mg (udenafil, 50 mg)" },
        { Factors.Outcome, "IIEF-EF at Week 4", "IIEF-EF at Week 12" },
        { Factors.Population, "sex ALL, age 18 Years to 65 Years", "sex MALE, age 20 Years to 80 Years" },
        { Factors.Geography, "Korea, Republic of", "United States" },
        { Factors.Design, "phase PHASE2, masking DOUBLE", "phase PHASE3, masking QUADRUPLE" },
    };

    [Theory]
    [MemberData(nameof(OneChangePerFactor))]
    public void A_prompt_states_the_current_result_and_exactly_the_one_change(string factor, string from, string to)
    {
        var prompt = StepFormat.BuildPrompt(Udenafil50, new Perturbation(factor, from, to));

        Assert.Equal(StepFormat.TemplateVersion, prompt.TemplateVersion);
        Assert.Contains("RESULT: direction=<higher|lower|same>", prompt.System, StringComparison.Ordinal);
        Assert.Contains($"Change ({factor})\n- From: {from}\n- To: {to}\n", prompt.User, StringComparison.Ordinal);
        Assert.Single(Factors.All, f => prompt.User.Contains($"Change ({f})", StringComparison.Ordinal));
        Assert.Contains("- Arm value: 4.85 (standard error 0.51, N=150)", prompt.User, StringComparison.Ordinal);
        Assert.Contains("- Better when: higher", prompt.User, StringComparison.Ordinal);
        Assert.Contains("- Time frame: Baseline and Week 12", prompt.User, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50, 150, "3 times the current dose (a higher dose)")]
    [InlineData(150, 50, "0.333 times the current dose (a lower dose)")]
    [InlineData(0, 50, "from no active dose to an active dose (a higher dose)")]
    [InlineData(50, 0, "from an active dose to no active dose (a lower dose)")]
    [InlineData(50, 50, "the same amount (another form or schedule)")]
    public void A_dose_step_says_which_way_and_how_far_the_dose_moves(double from, double to, string words)
    {
        var user = StepFormat.BuildPrompt(Udenafil50, new Perturbation(Factors.Dose, "udenafil a", "udenafil b") { Dose = new DoseChange(from, to) }).User;

        Assert.Contains($"- To: udenafil b\n- Dose change: {words}\nHow does the result change?", user, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dose_step_without_known_amounts_has_no_dose_change_line()
    {
        var user = StepFormat.BuildPrompt(Udenafil50, new Perturbation(Factors.Dose, "udenafil low dose", "udenafil high dose")).User;

        Assert.DoesNotContain("Dose change", user, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_with_a_comparator_states_the_direction_and_significance_of_the_difference()
    {
        var state = Udenafil50 with
        {
            Comparator = new ArmResult { Label = "Placebo", ValueText = "-0.19", SpreadText = "0.52", SpreadType = "STANDARD_ERROR", N = 152 },
            DifferenceDirection = ResultDirection.Higher,
            DifferenceSignificant = true,
            PValueText = "<0.0001",
        };

        var user = StepFormat.BuildPrompt(state, new Perturbation(Factors.Dose, "udenafil 50 mg", "udenafil 100 mg")).User;

        Assert.Contains("- Comparator: Placebo\n  - Comparator interventions: none (placebo or no intervention)\n  - Comparator value: -0.19 (standard error 0.52, N=152)", user, StringComparison.Ordinal);
        Assert.Contains("- Arm vs comparator: higher", user, StringComparison.Ordinal);
        Assert.Contains("- Difference: significant (p <0.0001)", user, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_arm_state_says_whether_the_endpoint_was_met_when_known()
    {
        var met = StepFormat.BuildPrompt(Udenafil50 with { EndpointMet = true }, new Perturbation(Factors.Dose, "a", "b")).User;
        var unknown = StepFormat.BuildPrompt(Udenafil50, new Perturbation(Factors.Dose, "a", "b")).User;

        Assert.Contains("- Endpoint met: yes", met, StringComparison.Ordinal);
        Assert.DoesNotContain("Endpoint met", unknown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("route", "a", "b", "perturbation.Factor 'route'")]
    [InlineData("dose", " ", "b", "perturbation.From is empty")]
    [InlineData("dose", "a", "", "perturbation.To is empty")]
    [InlineData("dose", "50 mg", "50 mg", "changes nothing")]
    public void A_perturbation_that_is_not_one_real_change_is_refused_naming_the_field(string factor, string from, string to, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => StepFormat.BuildPrompt(Udenafil50, new Perturbation(factor, from, to)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_whose_value_is_not_given_says_so_instead_of_a_number()
    {
        var state = Udenafil50 with { Arm = Udenafil50.Arm with { ValueText = null, SpreadText = null, SpreadType = null, N = null } };

        var prompt = StepFormat.BuildPrompt(state, new Perturbation(Factors.Dose, "udenafil 50 mg", "udenafil 150 mg"));

        Assert.Contains("  - Arm value: not given\n", prompt.User, StringComparison.Ordinal);
        Assert.Contains("When a value is not given", prompt.System, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_with_an_empty_value_is_refused_naming_the_arm()
    {
        var state = Udenafil50 with { Arm = Udenafil50.Arm with { ValueText = "" } };

        var error = Assert.Throws<ArgumentException>(() => StepFormat.BuildPrompt(state, new Perturbation(Factors.Dose, "a", "b")));

        Assert.Contains("state.Arm.ValueText is empty (arm 'Udenafil 50 mg')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reported_interval_is_shown_as_the_spread_with_its_kind()
    {
        var state = Udenafil50 with { Arm = Udenafil50.Arm with { SpreadText = null, SpreadType = "95_CONFIDENCE_INTERVAL", LowerLimitText = "-1.42", UpperLimitText = "1.03", ValueText = "-0.19" } };

        var user = StepFormat.BuildPrompt(state, new Perturbation(Factors.Dose, "a", "b")).User;

        Assert.Contains("- Arm value: -0.19 (95 confidence interval -1.42 to 1.03, N=150)", user, StringComparison.Ordinal);
    }
}
