namespace DeepImagine.Imagining.Tests;

public class Choosing_result_fields_by_likelihood
{
    private const string Context = "<|im_start|>user\nHow does the result change?<|im_end|>\n<|im_start|>assistant\n";

    /// <summary>A scorer that prefers given words and records every text it was asked about.</summary>
    private sealed class PreferringScorer(params string[] preferred)
    {
        public List<(string Text, IReadOnlyList<string> Options)> Calls { get; } = [];

        public IReadOnlyList<double> Score(string text, IReadOnlyList<string> options)
        {
            Calls.Add((text, options));
            return options.Select(o => preferred.Contains(o) ? -0.5 : -3.0).ToList();
        }
    }

    [Fact]
    public void Writes_the_direction_the_scorer_likes_most_after_the_models_own_trace()
    {
        var scorer = new PreferringScorer("lower", "yes");

        var scored = ResultScoring.Choose(Context, "The dose triples.", -0.25, scorer.Score);

        Assert.Equal(ImaginedResult.Of(ResultDirection.Lower, -0.25, true), scored.Result);
        Assert.Equal("The dose triples.\nRESULT: direction=lower log_ratio=-0.25 significant=yes", scored.Completion);
        Assert.Equal(scored.Result, StepAnswer.Parse(scored.Completion));
        Assert.Equal(Context + "The dose triples.\nRESULT: direction=", scorer.Calls[0].Text);
        Assert.Equal(["higher", "lower", "same"], scorer.Calls[0].Options);
        Assert.Equal(Context + "The dose triples.\nRESULT: direction=lower log_ratio=-0.25 significant=", scorer.Calls[1].Text);
        Assert.Equal(["yes", "no", "unknown"], scorer.Calls[1].Options);
        Assert.True(scored.DirectionProbabilities[ResultDirection.Lower] > 0.8);
        Assert.Equal(1.0, scored.DirectionProbabilities.Values.Sum(), 9);
    }

    [Fact]
    public void Answers_with_an_empty_trace_and_an_unknown_log_ratio_when_there_is_none()
    {
        var scorer = new PreferringScorer("same", "unknown");

        var scored = ResultScoring.Choose(Context, "  ", null, scorer.Score);

        Assert.Equal("RESULT: direction=same log_ratio=unknown significant=unknown", scored.Completion);
        Assert.Equal(Context + "RESULT: direction=", scorer.Calls[0].Text);
    }

    [Fact]
    public void Keeps_the_trace_before_the_first_result_line_of_a_looping_answer()
    {
        var free = "Dose ratio: 3.\nRESULT: direction=higher log_ratio=unknown significant=no\nRESULT: direction=lower log_ratio=unknown";

        Assert.Equal("Dose ratio: 3.", ResultScoring.TraceOf(free));
        Assert.Equal("Dose ratio: 3. Dose ratio: 3. Dose", ResultScoring.TraceOf("Dose ratio: 3. Dose ratio: 3. Dose"));
    }

    [Theory]
    [InlineData("Dose ratio: 3.\nRESULT: direction=higher log_ratio=unknown significant=no\nRESULT: direction=lower")]
    [InlineData("RESULT: direction=same log_ratio=0 significant=unknown")]
    [InlineData("RESULTS were mixed; RESULT: inline is no line.\n  - **RESULT:** direction=lower\nmore")]
    [InlineData("Higher dose.\nresult : direction=higher\n")]
    [InlineData("The RESULT\n:x\nRESULT: direction=higher")]
    [InlineData("No result line at all, RESULT: only mid-line")]
    public void Stopping_where_the_result_line_begins_keeps_the_trace_of_the_text_written_on(string written)
    {
        // Generation checks after every token; a character is the finest a token can end at. The first prefix that
        // matches is where generation stops.
        var stop = Enumerable.Range(1, written.Length).Cast<int?>().FirstOrDefault(n => StepAnswer.ResultLineStart.IsMatch(written[..n!.Value]));

        Assert.Equal(StepAnswer.FirstResultLineIndex(written) is null, stop is null);
        if (stop is { } n) Assert.Equal(ResultScoring.TraceOf(written), ResultScoring.TraceOf(written[..n]));
    }

    [Fact]
    public void Refuses_a_scorer_that_does_not_score_every_option()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ResultScoring.Choose(Context, "", null, (_, _) => [0.0, 1.0]));

        Assert.Contains("direction", error.Message, StringComparison.Ordinal);
    }
}
