using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepImagine.Model;

/// <summary>
/// A Qwen3 configuration, read from and written to a Hugging Face <c>config.json</c> (unknown keys are kept). Keys missing
/// from a file take Hugging Face's defaults where they change the maths silently (untied embeddings, head_dim 128, θ 10,000).
/// </summary>
public sealed class Qwen3Config : IJsonOnDeserialized
{
    [JsonPropertyName("architectures")] public string[] Architectures { get; set; } = ["Qwen3ForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "qwen3";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 8192;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 256;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; set; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; } = 4;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; } = 4;
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; } = 2;
    [JsonPropertyName("head_dim")] public int HeadDim { get; set; } = 128;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; set; } = "silu";
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; set; } = 10_000;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; set; } = 1e-6;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; set; } = 4096;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; }
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; set; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; set; }

    /// <summary>The end-of-sequence ids: Hugging Face writes one id or a list.</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(OneOrManyIdsConverter))]
    public int[]? EosTokenIds { get; set; }

    /// <summary>The first end-of-sequence id (see <see cref="EosTokenIds"/> for all of them).</summary>
    [JsonIgnore]
    public int? EosTokenId
    {
        get => EosTokenIds is { Length: > 0 } ids ? ids[0] : null;
        set => EosTokenIds = value is { } id ? [id] : null;
    }

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

    // transformers v5 moves rope_theta into rope_parameters; that value is the one the model must use.
    void IJsonOnDeserialized.OnDeserialized()
    {
        if (ExtraObject("rope_parameters") is { } parameters && parameters.TryGetProperty("rope_theta", out var theta) && theta.ValueKind == JsonValueKind.Number)
            RopeTheta = theta.GetDouble();
    }

    /// <summary>Checks that the model can run this configuration as written; unsupported options throw, naming the key.</summary>
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
        Require(RopeTheta > 0, "rope_theta", "must be positive");
        // Options that change the attention maths would otherwise be ignored silently, giving wrong outputs.
        RejectScaledRope(source, "rope_scaling");
        RejectScaledRope(source, "rope_parameters");
        if (ExtraObject("use_sliding_window") is { ValueKind: JsonValueKind.True })
            throw new NotSupportedException($"{source}: field 'use_sliding_window' is true; sliding-window attention is not implemented (full attention only)");
    }

    private void RejectScaledRope(string source, string key)
    {
        if (ExtraObject(key) is not { } value || value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: field '{key}' must be an object, not {value.ValueKind}");
        var type = value.TryGetProperty("rope_type", out var t) ? t.GetString() : value.TryGetProperty("type", out var legacy) ? legacy.GetString() : "default";
        if (type != "default")
            throw new NotSupportedException($"{source}: field '{key}' asks for RoPE type '{type}'; only the default rotary embedding is implemented (remove '{key}' or use a model without RoPE scaling)");
    }

    private JsonElement? ExtraObject(string key) => Extra is not null && Extra.TryGetValue(key, out var value) ? value : null;

    public Qwen3Config Clone() => JsonSerializer.Deserialize<Qwen3Config>(JsonSerializer.Serialize(this, Json), Json)!;

    /// <summary>Reads <c>eos_token_id</c> written as one id or a list; writes one id as a number.</summary>
    private sealed class OneOrManyIdsConverter : JsonConverter<int[]?>
    {
        public override int[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.Number => [reader.GetInt32()],
            JsonTokenType.StartArray => JsonSerializer.Deserialize<int[]>(ref reader, options),
            _ => throw new JsonException($"eos_token_id must be a number or a list of numbers, not {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, int[]? value, JsonSerializerOptions options)
        {
            if (value is null) writer.WriteNullValue();
            else if (value.Length == 1) writer.WriteNumberValue(value[0]);
            else JsonSerializer.Serialize(writer, value, options);
        }
    }
}
