namespace DeepImagine.Model.Tests;

internal static class TinyModels
{
    /// <summary>2 layers, width 64, 4 heads / 2 KV heads: small enough to train in seconds on a CPU.</summary>
    public static Qwen3Config Config(int vocab = 300, bool tied = true) => new()
    {
        VocabSize = vocab,
        HiddenSize = 64,
        IntermediateSize = 128,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = tied,
    };
}
