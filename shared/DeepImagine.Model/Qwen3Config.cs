using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeepImagine.Model;

/// <summary>A Qwen3 configuration, read from and written to a Hugging Face <c>config.json</c> (unknown keys are kept).</summary>
public sealed class Qwen3Config
{
    [JsonPropertyName("architectures")] public string[] Architectures { get; set; } = ["Qwen3ForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "qwen3";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 8192;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 256;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; } = 4;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; } = 4;
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; } = 2;
    [JsonPropertyName("head_dim")] public int HeadDim { get; set; } = 64;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "silu";
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; set; } = 1_000_000;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-6;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 4096;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; } = true;
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; set; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; set; }
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; set; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; set; } = "float32";

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Qwen3Config Load(string path)
    {
        var config = JsonSerializer.Deserialize<Qwen3Config>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"'{path}' holds no configuration");
        config.Validate(path);
        return config;
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public void Validate(string source = "config")
    {
        void Require(bool ok, string field, string why)
        {
            if (!ok) throw new InvalidDataException($"{source}: field '{field}' {why}");
        }
        Require(HiddenSize > 0, "hidden_size", "must be positive");
        Require(NumAttentionHeads > 0 && NumKeyValueHeads > 0, "num_key_value_heads", "must be positive");
        Require(NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads", $"must divide num_attention_heads ({NumAttentionHeads})");
        Require(HeadDim > 0 && HeadDim % 2 == 0, "head_dim", "must be a positive even number (rotary embeddings rotate pairs)");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(HiddenAct == "silu", "hidden_act", $"'{HiddenAct}' is not supported (silu only)");
    }

    public Qwen3Config Clone() => JsonSerializer.Deserialize<Qwen3Config>(JsonSerializer.Serialize(this, Json), Json)!;
}
