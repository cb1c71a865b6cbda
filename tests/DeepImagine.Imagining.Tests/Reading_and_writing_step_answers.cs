namespace DeepImagine.Imagining.Tests;

public class Reading_and_writing_step_answers
{
    public static TheoryData<ResultDirection, double?, bool?> Results => new()
    {
        { ResultDirection.Higher, 0.47, true },
        { ResultDirection.Lower, -1.234, false },
        { ResultDirection.Same, 0, null },
        { ResultDirection.Higher, null, null },
        { ResultDirection.Lower, -700.125, true },
        { ResultDirection.Higher, 1e15, false },
    };

    [Theory]
    [MemberData(nameof(Results))]
    public void A_written_answer_reads_back_as_the_same_result(ResultDirection direction, double? logRatio, bool? significant)
    {
        var result = ImaginedResult.Of(direction, logRatio, significant);
        var completion = StepAnswer.Format(result, "The dose triples.\nOn the rising part of the curve.");

        var parsed = StepAnswer.Parse(completion);

        Assert.True(parsed.IsParseable, parsed.Error);
        Assert.Equal(result, parsed);
        Assert.Equal("The dose triples.\nOn the rising part of the curve.", StepAnswer.Trace(completion));
        Assert.StartsWith("RESULT: direction=", completion.Split('\n')[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.12345, "0.123")]
    [InlineData(-0.0004, "0")]
    [InlineData(2.0005, "2.001")]
    [InlineData(1e15, "1000000000000000")]
    public void A_log_ratio_is_written_to_three_decimals(double logRatio, string written)
    {
        var line = StepAnswer.ResultLine(ImaginedResult.Of(ResultDirection.Higher, logRatio, null));

        Assert.Equal($"RESULT: direction=higher log_ratio={written} significant=unknown", line);
    }

    [Theory]
    [InlineData(null, "empty completion")]
    [InlineData("", "empty completion")]
    [InlineData("The drug works better.", "no line starting with 'RESULT:'")]
    [InlineData("RESULT: direction=up log_ratio=0.1 significant=yes", "direction 'up'")]
    [InlineData("RESULT: direction=higher log_ratio=abc significant=yes", "log_ratio 'abc'")]
    [InlineData("RESULT: direction=higher log_ratio=NaN significant=yes", "log_ratio 'nan'")]
    [InlineData("RESULT: direction=higher log_ratio=Infinity significant=yes", "log_ratio 'infinity'")]
    [InlineData("RESULT: direction=higher log_ratio=1e400 significant=yes", "log_ratio '1e400'")]
    [InlineData("RESULT: direction=higher log_ratio=0.1 significant=maybe", "significant 'maybe'")]
    [InlineData("RESULT: direction=higher significant=yes", "no log_ratio")]
    [InlineData("RESULT: log_ratio=0.1 significant=yes", "no direction")]
    [InlineData("RESULT: direction=higher log_ratio=0.1", "no significant")]
    [InlineData("RESULT: direction=higher direction=lower log_ratio=0.1 significant=yes", "'direction' appears twice")]
    [InlineData("RESULT: direction=higher log_ratio=0.1 significant=yes confidence=0.9", "'confidence' is unknown")]
    [InlineData("RESULT: higher 0.1 yes", "'higher' is not name=value")]
    [InlineData("RESULT:", "no direction")]
    public void A_malformed_answer_is_unparseable_with_the_reason_and_never_throws(string? completion, string reason)
    {
        var parsed = StepAnswer.Parse(completion);

        Assert.False(parsed.IsParseable);
        Assert.Equal(ResultDirection.Unknown, parsed.Direction);
        Assert.Null(parsed.LogRatio);
        Assert.Null(parsed.Significant);
        Assert.Contains(reason, parsed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Reasoning.\nresult: Direction=LOWER log_ratio=-0.5 significant=No", ResultDirection.Lower, -0.5, false)]
    [InlineData("**RESULT:** direction=same log_ratio=unknown significant=unknown", ResultDirection.Same, null, null)]
    [InlineData("- RESULT: direction=higher, log_ratio=1e-300, significant=yes.", ResultDirection.Higher, 1e-300, true)]
    [InlineData("RESULT: direction=lower log_ratio=-1.7976931348623157E+308 significant=yes", ResultDirection.Lower, -1.7976931348623157E+308, true)]
    [InlineData("RESULT: direction=lower log_ratio=9 significant=no\nOn reflection:\nRESULT: direction=higher log_ratio=0.2 significant=yes", ResultDirection.Higher, 0.2, true)]
    [InlineData("Windows line ends.\r\nRESULT: direction=lower log_ratio=-0.5 significant=no\r\n", ResultDirection.Lower, -0.5, false)]
    public void Tolerated_variations_of_the_result_line_read_as_the_last_result_line_says(string completion, ResultDirection direction, double? logRatio, bool? significant)
    {
        var parsed = StepAnswer.Parse(completion);

        Assert.True(parsed.IsParseable, parsed.Error);
        Assert.Equal(direction, parsed.Direction);
        Assert.Equal(logRatio, parsed.LogRatio);
        Assert.Equal(significant, parsed.Significant);
    }

    [Fact]
    public void Only_a_parsed_result_with_a_direction_and_a_finite_log_ratio_can_be_written()
    {
        Assert.Contains("unparseable", Assert.Throws<ArgumentException>(() => StepAnswer.Format(ImaginedResult.Unparseable("no line"), "t")).Message, StringComparison.Ordinal);
        Assert.Contains("Direction is Unknown", Assert.Throws<ArgumentException>(() => StepAnswer.Format(ImaginedResult.Of(ResultDirection.Unknown, null, null), "t")).Message, StringComparison.Ordinal);
        Assert.Contains("LogRatio", Assert.Throws<ArgumentException>(() => StepAnswer.Format(ImaginedResult.Of(ResultDirection.Higher, double.NaN, null), "t")).Message, StringComparison.Ordinal);
        Assert.Contains("already contains a RESULT line", Assert.Throws<ArgumentException>(() =>
            StepAnswer.Format(ImaginedResult.Of(ResultDirection.Higher, null, null), "x\nRESULT: direction=lower log_ratio=unknown significant=no")).Message, StringComparison.Ordinal);
    }
}
