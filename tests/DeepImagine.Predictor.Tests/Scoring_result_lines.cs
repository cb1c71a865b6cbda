namespace DeepImagine.Predictor.Tests;

public sealed class Scoring_result_lines
{
    [Theory]
    [InlineData("Less drug, less response.\nRESULT: direction", "=higher")]
    [InlineData("RESULT: direction", "=same")]
    [InlineData("RESULT: direction=lower log_ratio=unknown significant", "=yes")]
    [InlineData("RESULT: direction=higher log_ratio=0.3 significant", "=no")]
    public void A_scored_value_has_the_tokens_it_has_inside_the_whole_result_line(string prefix, string value)
    {
        using var store = new TinyOperators(withBase: true);
        var tokenizer = store.Tokenizer!;
        // The step runner scores prefix and value tokenized apart: they must be the tokens of the joined line.
        Assert.Equal(tokenizer.Encode(prefix + value), [.. tokenizer.Encode(prefix), .. tokenizer.Encode(value)]);
    }
}
