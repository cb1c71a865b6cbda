namespace DeepImagine.Trials.Tests;

public class Parsing_reported_numbers
{
    [Theory]
    [InlineData("0.05", 0.05, "=")]
    [InlineData("<0.001", 0.001, "<")]
    [InlineData("< 0.0001", 0.0001, "<")]
    [InlineData("≤0.05", 0.05, "<=")]
    [InlineData("≥ 10", 10, ">=")]
    [InlineData(">0.1", 0.1, ">")]
    [InlineData("1,234.5", 1234.5, "=")]
    [InlineData("-1.75", -1.75, "=")]
    [InlineData("−0.51", -0.51, "=")]
    [InlineData("30.", 30, "=")]
    [InlineData(".5", 0.5, "=")]
    [InlineData("1.2E-5", 0.000012, "=")]
    [InlineData("p<0.05", 0.05, "<")]
    [InlineData("P = 0.032", 0.032, "=")]
    public void Reads_the_value_and_its_comparator(string text, double value, string comparator)
    {
        var parsed = ReportedNumber.Parse(text)!;

        Assert.Equal(value, parsed.Value!.Value, 10);
        Assert.Equal(comparator, parsed.Comparator);
        Assert.Equal(text.Trim(), parsed.Text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("NA")]
    [InlineData("N/A")]
    public void Treats_missing_markers_as_not_reported(string? text) => Assert.Null(ReportedNumber.Parse(text));

    [Theory]
    [InlineData("not estimable")]
    [InlineData("1,5")]
    [InlineData("10-20")]
    [InlineData("12 (8-14)")]
    public void Keeps_text_that_is_not_one_number_as_text(string text)
    {
        var parsed = ReportedNumber.Parse(text)!;

        Assert.False(parsed.IsNumeric);
        Assert.Equal(text, parsed.Text);
    }

    [Theory]
    [InlineData("154", 154)]
    [InlineData("1,204", 1204)]
    public void Reads_participant_counts(string text, int count) => Assert.Equal(count, ReportedNumber.ParseCount(text));

    [Theory]
    [InlineData("12.5")]
    [InlineData("<10")]
    [InlineData("-3")]
    public void Rejects_what_is_not_a_participant_count(string text) => Assert.Null(ReportedNumber.ParseCount(text));
}
