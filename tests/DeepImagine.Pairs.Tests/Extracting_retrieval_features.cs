using DeepImagine.Trials;
using DeepImagine.Trials.Tests;

namespace DeepImagine.Pairs.Tests;

/// <summary>The retrieval keys are computed once, here (the store keeps them in columns; no SQL normalizes names).</summary>
public class Extracting_retrieval_features
{
    private static Trial With(IReadOnlyList<string> conditions, IReadOnlyList<Intervention> interventions) =>
        RepoData.V2Trial("NCT00833638") with { Conditions = conditions, Interventions = interventions };

    [Fact]
    public void Condition_keys_drop_accents_case_and_punctuation_and_repeat_no_key()
    {
        var trial = With(["Sjögren's Syndrome", "SJOGREN'S  syndrome", "Maladie de Crohn — sévère", "!!"], []);

        Assert.Equal(["sjogren s syndrome", "maladie de crohn severe"], TrialFeatures.ConditionKeys(trial));
    }

    [Fact]
    public void Intervention_names_include_other_names_and_leave_out_placebo()
    {
        var trial = With([], [
            new Intervention { Name = "Tadalafil", OtherNames = ["Cialis®", "LY450190"] },
            new Intervention { Name = "Placebo", IsPlacebo = true },
        ]);

        Assert.Equal(["tadalafil", "cialis", "ly450190"], TrialFeatures.InterventionNames(trial));
    }

    [Fact]
    public void Features_carry_the_trials_own_identity_and_design()
    {
        var trial = RepoData.V2Trial("NCT00833638");
        var features = TrialFeatures.Of(trial, 42);

        Assert.Equal((42L, "ctgov-v2", "NCT00833638"), (features.RowId, features.Source, features.SourceRecordId));
        Assert.Contains("tadalafil", features.Interventions);
        Assert.Equal(trial.Design.Masking, features.Masking);
        Assert.Equal(trial.Enrollment, features.Enrollment);
    }
}
