using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

/// <summary>
/// Picks the next token from logits [batch, vocab]: greedy when the temperature is 0, else sampled from a seeded generator
/// after temperature, top-k and top-p (Hugging Face's order and rules: the most likely token always stays).
/// </summary>
public static class TokenSampler
{
    public static Tensor Choose(Tensor logits, double temperature, int topK, double topP, torch.Generator? generator)
    {
        if (temperature <= 0) return logits.argmax(-1);
        using var scope = NewDisposeScope();
        using var temperatureScalar = temperature.ToScalar(); // disposed after use, never finalized mid-call
        var scaled = logits.to(ScalarType.Float32).div(temperatureScalar);
        if (topK > 0 && topK < scaled.shape[^1])
        {
            var kth = scaled.topk(topK, -1).values.select(-1, topK - 1).unsqueeze(-1);
            scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
        }
        if (topP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: true);
            var probabilities = functional.softmax(sorted, -1);
            // Drop a token once the tokens before it already reach p; the first (most likely) token is never dropped,
            // so p <= 0 means greedy within the sample rather than an empty distribution.
            var drop = (probabilities.cumsum(-1) - probabilities).ge(topP);
            drop[.., 0] = false;
            var dropped = zeros_like(drop, dtype: ScalarType.Int64).scatter(-1, order, drop.to(ScalarType.Int64)).to(ScalarType.Bool);
            scaled = scaled.masked_fill(dropped, double.NegativeInfinity);
        }
        return multinomial(functional.softmax(scaled, -1), 1, generator: generator).squeeze(1).MoveToOuterDisposeScope();
    }

    public static Tensor Choose(Tensor logits, GenerationOptions options, torch.Generator? generator) =>
        Choose(logits, options.Temperature, options.TopK, options.TopP, generator);
}
