namespace DeepImagine.Pairs.Tests;

/// <summary>
/// Direction labels of real pairs, each worked out by hand from the record: B higher / lower / same within the
/// reported spread (z = difference / sqrt(SE_A² + SE_B²), same when |z| &lt; 1.96; SE from the SE column, or from a
/// 95% interval as width / 3.92), whether higher is better where the measure says so, and significance from a
/// reported p-value.
/// </summary>
public class Labelling_directions
{
    public static TheoryData<string, string, string, string, string, bool?, bool?> HandVerified => new()
    {
        // trial, outcome, arm A, arm B, direction, higher is better, significant
        // NCT01037244 IIEF-EF change, 95% CIs: placebo -0.19 [-1.42, 1.03]; 50 mg 4.85 [3.61, 6.08]; 100 mg 6.98 [5.75, 8.22]; 150 mg 7.76 [6.54, 8.98]
        { "NCT01037244", "O0", "Placebo", "Udenafil 50 mg", "higher", true, true },    // z = 5.04 / 0.886 = 5.7
        { "NCT01037244", "O0", "Placebo", "Udenafil 100 mg", "higher", true, true },
        { "NCT01037244", "O0", "Placebo", "Udenafil 150 mg", "higher", true, true },
        { "NCT01037244", "O0", "Udenafil 50 mg", "Udenafil 100 mg", "higher", true, null }, // z = 2.13 / 0.889 = 2.4
        { "NCT01037244", "O0", "Udenafil 50 mg", "Udenafil 150 mg", "higher", true, null }, // z = 2.91 / 0.886 = 3.3
        { "NCT01037244", "O0", "Udenafil 100 mg", "Udenafil 150 mg", "same", true, null },  // z = 0.78 / 0.886 = 0.9
        // NCT00790751 SEP3 change, SE: placebo 14.1 (2.57); 50 mg 27.8 (2.58); 100 mg 43.4 (2.56); 200 mg 44.2 (2.57); "able to maintain"
        { "NCT00790751", "O0", "placebo", "avanafil 50 mg", "higher", true, null },       // z = 13.7 / 3.64 = 3.8
        { "NCT00790751", "O0", "avanafil 50 mg", "avanafil 100 mg", "higher", true, null }, // z = 15.6 / 3.64 = 4.3
        { "NCT00790751", "O0", "avanafil 100 mg", "avanafil 200 mg", "same", true, null },  // z = 0.8 / 3.63 = 0.2
        // NCT02305381 change in HbA1c, SE 0.09 each: placebo -0.09; 0.5 mg -1.45; 1.0 mg -1.85 (lower HbA1c is better).
        // The one "Placebo" group pools both placebo arms; its side names the first, "Semaglutide Placebo 0.5 mg/Week".
        { "NCT02305381", "O0", "Semaglutide Placebo 0.5 mg/Week", "Semaglutide 0.5 mg/Week", "lower", false, true },
        { "NCT02305381", "O0", "Semaglutide Placebo 0.5 mg/Week", "Semaglutide 1.0 mg/Week", "lower", false, true },
        { "NCT02305381", "O0", "Semaglutide 0.5 mg/Week", "Semaglutide 1.0 mg/Week", "lower", false, null }, // z = -0.40 / 0.127 = -3.1
        // NCT02305381 change in body weight, SE 0.36: 0.5 mg -3.67; 1.0 mg -6.42 (the title does not say which way is better)
        { "NCT02305381", "O1", "Semaglutide 0.5 mg/Week", "Semaglutide 1.0 mg/Week", "lower", null, null },
        // clinDR:1-2 CFB HbA1c, SE: placebo -0.060 (0.161); 20 mg -0.943 (0.096); 30 mg -1.052 (0.092)
        { "clinDR:1-2", "O0", "Placebo", "PF-00734200 20 QD", "lower", false, null },           // z = -0.884 / 0.187 = -4.7
        { "clinDR:1-2", "O0", "PF-00734200 20 QD", "PF-00734200 30 QD", "same", false, null },  // z = -0.109 / 0.133 = -0.8
        // clinDR:10-1 proportion in sinus rhythm, SE: 0 0.203 (0.044); 0.25 0.289 (0.050); 0.5 0.277 (0.049); 1 0.465 (0.057)
        { "clinDR:10-1", "O0", "Placebo", "UK-068798 0.25 BID", "same", null, null },          // z = 0.086 / 0.067 = 1.3
        { "clinDR:10-1", "O0", "Placebo", "UK-068798 1 BID", "higher", null, null },           // z = 0.262 / 0.072 = 3.6
        { "clinDR:10-1", "O0", "UK-068798 0.25 BID", "UK-068798 0.5 BID", "same", null, null },
        // NCT00738400 IIEF-EF change, 95% CIs: placebo 14.2 [12.57, 15.83]; vardenafil 20.96 [19.38, 22.54]; p < 0.0001
        { "NCT00738400", "O0", "Placebo", "Vardenafil (Levitra, BAY38-9456)", "higher", true, true },
        // NCT00833638 SEP1, SE: placebo -10.06 (2.24); 2.5 mg 1.97 (2.33); 5 mg 2.74 (2.34); p < 0.001 vs placebo
        { "NCT00833638", "O1", "Placebo", "Tadalafil 2.5 mg", "higher", true, true },   // z = 12.03 / 3.23 = 3.7
        { "NCT00833638", "O1", "Tadalafil 2.5 mg", "Tadalafil 5 mg", "same", true, null }, // z = 0.77 / 3.30 = 0.2
        // NCT00833638 SEP2, SE: 2.5 mg 8.11 (2.55); 5 mg 13.12 (2.56)
        { "NCT00833638", "O2", "Tadalafil 2.5 mg", "Tadalafil 5 mg", "same", true, null }, // z = 5.01 / 3.61 = 1.4
    };

    [Theory]
    [MemberData(nameof(HandVerified))]
    public void Matches_the_hand_verified_label(string trial, string outcome, string armA, string armB, string direction, bool? higherIsBetter, bool? significant)
    {
        var label = Mined.Pairs(trial).ArmPair(outcome, armA, armB).Direction;

        Assert.Equal(direction, label.Direction);
        Assert.Equal(higherIsBetter, label.HigherIsBetter);
        Assert.Equal(significant, label.Significant);
    }

    [Fact]
    public void Says_whether_side_B_is_better_only_where_the_measure_says_which_way_is_better()
    {
        Assert.True(Mined.Pairs("NCT02305381").ArmPair("O0", "Semaglutide Placebo 0.5 mg/Week", "Semaglutide 1.0 mg/Week").Direction.BIsBetter);
        Assert.True(Mined.Pairs("NCT01037244").ArmPair("O0", "Placebo", "Udenafil 50 mg").Direction.BIsBetter);
        Assert.Null(Mined.Pairs("NCT02305381").ArmPair("O1", "Semaglutide 0.5 mg/Week", "Semaglutide 1.0 mg/Week").Direction.BIsBetter);
        Assert.Null(Mined.Pairs("NCT01037244").ArmPair("O0", "Udenafil 100 mg", "Udenafil 150 mg").Direction.BIsBetter);
    }

    [Theory]
    [InlineData("Percent reduction in seizure frequency", null, true)]
    [InlineData("Number of participants with adverse events", "participants", false)]
    [InlineData("Overall survival", "months", true)]
    [InlineData("Progression-free survival", "months", true)]
    [InlineData("Change from baseline in HbA1c", "%", false)]
    [InlineData("Change from baseline in body weight", "kg", null)]
    public void Reads_which_way_is_better_from_the_measure(string title, string? unit, bool? higherIsBetter) =>
        Assert.Equal(higherIsBetter, DirectionLabeler.HigherIsBetter(title, unit).HigherIsBetter);
}
