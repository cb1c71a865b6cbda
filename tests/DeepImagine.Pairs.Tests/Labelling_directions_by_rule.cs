using static DeepImagine.Pairs.Tests.Sides;

namespace DeepImagine.Pairs.Tests;

/// <summary>The direction rules issue 18 asks for, each on sides built by hand.</summary>
public class Labelling_directions_by_rule
{
    [Fact]
    public void Medians_with_ranges_or_inter_quartile_ranges_give_no_z_and_an_unknown_direction()
    {
        var a = Side("G1", value: 10, param: "MEDIAN", dispersion: "FULL_RANGE", spread: null, lower: 2, upper: 30);
        var b = Side("G2", value: 14, param: "MEDIAN", dispersion: "INTER_QUARTILE_RANGE", spread: null, lower: 8, upper: 20);

        var label = DirectionLabeler.Label(a, b, null);

        Assert.Equal(DirectionLabel.Unknown, label.Direction);
        Assert.Null(label.StandardizedDifference);
    }

    [Fact]
    public void Percentages_of_participants_compare_as_proportions_of_the_analysed_N()
    {
        // 79.3% of 304 vs 86.5% of 37: z = 0.072 / sqrt(0.793*0.207/304 + 0.865*0.135/37) = 1.2, the same within chance.
        var a = Side("G1", value: 79.3, n: 304, unit: "percentage of participants", param: "NUMBER", dispersion: null, spread: null);
        var b = Side("G2", value: 86.5, n: 37, unit: "percentage of participants", param: "NUMBER", dispersion: null, spread: null);

        var label = DirectionLabeler.Label(a, b, null);

        Assert.Equal(DirectionLabel.Same, label.Direction);
        Assert.Equal(1.2, label.StandardizedDifference!.Value, 1);
    }

    [Fact]
    public void Counts_of_participants_use_the_class_level_N()
    {
        // 60 of 126 vs 30 of 34 (the class's N), not of the measure's 135 / 35.
        var a = Side("G1", value: 60, n: 126, unit: "participants", param: "COUNT_OF_PARTICIPANTS", dispersion: null, spread: null);
        var b = Side("G2", value: 30, n: 34, unit: "participants", param: "COUNT_OF_PARTICIPANTS", dispersion: null, spread: null);

        Assert.Equal(DirectionLabel.Higher, DirectionLabeler.Label(a, b, null).Direction);
    }

    [Fact]
    public void Two_instruments_with_the_same_unit_are_incomparable()
    {
        var a = Side("G1", title: "SIS-16 total score", unit: "units on a scale");
        var b = Side("G1", outcome: "O1", title: "Kessler-10 total score", unit: "units on a scale");

        Assert.Equal(DirectionLabel.Incomparable, DirectionLabeler.Label(a, b, null).Direction);
    }

    [Theory]
    [InlineData("Best overall response", "Complete Response", true)]
    [InlineData("Best overall response", "Progressive Disease", false)]
    [InlineData("Best overall response", "Stable Disease", null)]
    [InlineData("Best overall response", "Not Evaluable", null)]
    [InlineData("Number of participants with response", "Non-responder", false)]
    [InlineData("Number of participants with improvement from baseline", "No Improvement", false)]
    [InlineData("Qualitative splenic function", "Not worse", true)]
    [InlineData("Number of participants who died", "Death not attributed to study drug", false)]
    [InlineData("Number of participants with adverse events", "Nausea", false)]
    [InlineData("Pain relief at 4 hours", null, true)]
    [InlineData("Clinical Global Impression - Bipolar version, severity", null, null)]
    [InlineData("Time to disease progression", null, true)]
    public void Says_which_way_is_better_per_category_and_unknown_when_the_words_do_not_say(string title, string? category, bool? higherIsBetter)
    {
        var side = Side(title: title, unit: "participants", param: "COUNT_OF_PARTICIPANTS", category: category);

        Assert.Equal(higherIsBetter, DirectionLabeler.CellHigherIsBetter(side).HigherIsBetter);
    }
}
