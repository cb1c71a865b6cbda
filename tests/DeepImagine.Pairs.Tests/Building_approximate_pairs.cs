using DeepImagine.Trials;
using static DeepImagine.Pairs.Tests.Sides;

namespace DeepImagine.Pairs.Tests;

/// <summary>The factors an approximate pair differs in, and the cells it compares.</summary>
public class Building_approximate_pairs
{
    private static Trial Trial(string id, string[]? countries = null, string? sex = "ALL", double? minAge = 18, string[]? phases = null,
        string? masking = "DOUBLE", int? enrollment = 100, string[]? conditions = null) => new()
    {
        TrialId = id, Source = "test", SourceRecordId = id, Format = RecordFormat.CtgovV2Json,
        Countries = countries ?? ["France"], Eligibility = new Eligibility { Sex = sex, MinimumAge = minAge is null ? null : new AgeLimit($"{minAge} Years", minAge) },
        Phases = phases ?? ["PHASE2"], Design = new StudyDesign { Masking = masking, Allocation = "RANDOMIZED" }, Enrollment = enrollment,
        Conditions = conditions ?? ["Diabetes"],
    };

    [Fact]
    public void Identical_trials_and_cells_differ_in_nothing()
    {
        Assert.Empty(ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B"), Side()));
    }

    [Fact]
    public void Each_difference_names_its_factor()
    {
        Assert.Equal([Factors.Dose], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(dose: Mg(10)), Trial("B"), Side(dose: Mg(20))));
        Assert.Equal([Factors.Arm], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B"), Side(interventions: ["other"])));
        Assert.Equal([Factors.Outcome], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B"), Side(title: "Change in body weight")));
        Assert.Equal([Factors.Population], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", minAge: 65), Side()));
        Assert.Equal([Factors.Population], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", conditions: ["Obesity"]), Side()));
        Assert.Equal([Factors.Geography], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", countries: ["Japan"]), Side()));
        Assert.Equal([Factors.Design], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", phases: ["PHASE3"]), Side()));
        Assert.Equal([Factors.Design], ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", enrollment: 250), Side()));
    }

    [Fact]
    public void Small_differences_and_unknowns_are_not_differences()
    {
        // Enrollment within a factor of two, an age bound within a year, a country list missing on one side, unparsed doses.
        Assert.Empty(ApproximatePairBuilder.DifferingFactors(Trial("A", enrollment: 100), Side(), Trial("B", enrollment: 190), Side()));
        Assert.Empty(ApproximatePairBuilder.DifferingFactors(Trial("A", minAge: 18), Side(), Trial("B", minAge: 18.5), Side()));
        Assert.Empty(ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", countries: []), Side()));
        Assert.Empty(ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(dose: new Dose(null, null, null, null, "varies")), Trial("B"), Side(dose: Mg(20))));
    }

    [Fact]
    public void Several_differences_are_all_named_in_factor_order()
    {
        var factors = ApproximatePairBuilder.DifferingFactors(Trial("A"), Side(), Trial("B", countries: ["Japan"], phases: ["PHASE3"]), Side(interventions: ["other"], title: "HbA1c at week 24"));

        Assert.Equal([Factors.Arm, Factors.Outcome, Factors.Geography, Factors.Design], factors);
    }

    [Fact]
    public void The_focus_cell_is_never_a_category_nor_a_baseline()
    {
        // NCT00499252: O0 (tumour response, one group) is the only single-cell, non-baseline result of the one arm... its AE
        // grade groups are no arms; the focus must be a mapped arm's unclassified cell.
        var trial = Mined.Trial("NCT00499252");
        var focus = ApproximatePairBuilder.Focus(trial, new TrialRef(1, trial.TrialId, trial.Source, trial.SourceRecordId, 1), new HashSet<string>());

        Assert.NotNull(focus);
        Assert.Null(focus.Class);
        Assert.Null(focus.Category);
        Assert.Equal("O0", focus.OutcomeId);
        Assert.Equal(23.4, focus.Value);
    }

    [Fact]
    public void Two_trials_on_different_measures_give_an_incomparable_direction()
    {
        var a = (Mined.Trial("NCT00001723"), new TrialRef(1, "NCT00001723", "test", "NCT00001723", 1));
        var b = (Mined.Trial("NCT00005669"), new TrialRef(2, "NCT00005669", "test", "NCT00005669", 1));

        var pair = ApproximatePairBuilder.Build(a, b, 0.5)!;

        Assert.Contains(Factors.Outcome, pair.Factors);
        Assert.Equal(DirectionLabel.Incomparable, pair.Direction.Direction);
    }
}
