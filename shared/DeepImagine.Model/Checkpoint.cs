using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>What a checkpoint came from: written beside the weights as <c>deepimagine.json</c>.</summary>
public sealed record CheckpointMetadata
{
    public long Step { get; init; }
    public string? Data { get; init; }
    public string? Parent { get; init; }
    public string? Note { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// A checkpoint is a directory: Hugging Face's <c>config.json</c>, safetensors weights (single or sharded), the tokenizer
/// files, and <c>deepimagine.json</c>. LoRA adapters are directories of their own (<c>adapter_config.json</c> and
/// <c>adapter_model.safetensors</c> with PEFT's names).
/// </summary>
public static class Checkpoint
{
    public const string ConfigFile = "config.json";
    public const string MetadataFile = "deepimagine.json";
    public const string AdapterConfigFile = "adapter_config.json";
    public const string AdapterWeightsFile = "adapter_model.safetensors";
    private const string PeftPrefix = "base_model.model.";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Save(Qwen3ForCausalLM model, string directory, CheckpointMetadata metadata, ScalarType dtype = ScalarType.Float32,
        long? maxShardBytes = null, ChatTokenizer? tokenizer = null)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config.Clone();
        config.TorchDtype = dtype switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" };
        config.Save(Path.Combine(directory, ConfigFile));
        // Adapters are saved on their own; a merged model is saved with the adapters folded in.
        var weights = model.named_parameters().Where(p => !p.name.Contains(".lora_", StringComparison.Ordinal)).Select(p => (p.name, (Tensor)p.parameter)).ToList();
        Safetensors.SaveModel(directory, weights, dtype, maxShardBytes);
        File.WriteAllText(Path.Combine(directory, MetadataFile), JsonSerializer.Serialize(metadata, Json));
        tokenizer?.Save(directory);
    }

    public static Qwen3ForCausalLM Load(string directory, Device? device = null)
    {
        var config = Qwen3Config.Load(Path.Combine(directory, ConfigFile));
        var model = new Qwen3ForCausalLM(config);
        var tensors = Safetensors.LoadModel(directory);
        try
        {
            CopyInto(model, tensors, directory, allowMissingLora: true);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return device is null ? model : model.MoveTo(device);
    }

    public static CheckpointMetadata? ReadMetadata(string directory)
    {
        var path = Path.Combine(directory, MetadataFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<CheckpointMetadata>(File.ReadAllText(path), Json) : null;
    }

    /// <summary>Writes the model's LoRA adapters with PEFT's names and configuration.</summary>
    public static void SaveAdapter(Qwen3ForCausalLM model, string directory)
    {
        var lora = model.Lora ?? throw new InvalidOperationException("the model has no LoRA adapters");
        Directory.CreateDirectory(directory);
        Safetensors.Save(Path.Combine(directory, AdapterWeightsFile), model.LoraParameters().Select(p => (PeftPrefix + p.Name, (Tensor)p.Parameter)));
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = lora.Rank,
            ["lora_alpha"] = lora.Alpha,
            ["lora_dropout"] = lora.Dropout,
            ["bias"] = "none",
            ["target_modules"] = new JsonArray(model.LoraTargets.Select(t => (JsonNode)t).ToArray()),
        };
        File.WriteAllText(Path.Combine(directory, AdapterConfigFile), config.ToJsonString(Json));
    }

    /// <summary>Adds the adapters saved in <paramref name="directory"/> to a base model.</summary>
    public static void LoadAdapter(Qwen3ForCausalLM model, string directory)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, AdapterConfigFile)))!;
        var settings = new LoraSettings(config["r"]!.GetValue<int>(), config["lora_alpha"]!.GetValue<double>(), config["lora_dropout"]?.GetValue<double>() ?? 0);
        var targets = config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        model.AddLora(settings, targets);
        var tensors = Safetensors.Load(Path.Combine(directory, AdapterWeightsFile));
        try
        {
            var stripped = tensors.ToDictionary(kv => kv.Key.StartsWith(PeftPrefix, StringComparison.Ordinal) ? kv.Key[PeftPrefix.Length..] : kv.Key, kv => kv.Value);
            var parameters = model.LoraParameters().ToDictionary(p => p.Name, p => p.Parameter);
            using var _ = no_grad();
            foreach (var (name, parameter) in parameters)
            {
                if (!stripped.TryGetValue(name, out var value)) throw new InvalidDataException($"'{directory}': adapter weight '{name}' is missing");
                parameter.copy_(value.to(parameter.dtype));
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void CopyInto(Qwen3ForCausalLM model, Dictionary<string, Tensor> tensors, string source, bool allowMissingLora)
    {
        using var _ = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in parameters)
        {
            if (!tensors.TryGetValue(name, out var value))
            {
                if (allowMissingLora && name.Contains(".lora_", StringComparison.Ordinal)) continue;
                throw new InvalidDataException($"'{source}': weight '{name}' is missing");
            }
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"'{source}': weight '{name}' has shape [{string.Join(", ", value.shape)}], the model expects [{string.Join(", ", parameter.shape)}]");
            parameter.copy_(value.to(parameter.dtype));
        }
        // Tied checkpoints written by others may still carry lm_head.weight (a copy of the embeddings): ignored.
        var unexpected = tensors.Keys.Where(k => !parameters.ContainsKey(k) && !(k == "lm_head.weight" && model.Config.TieWordEmbeddings)).ToList();
        if (unexpected.Count > 0) throw new InvalidDataException($"'{source}': unexpected weights {string.Join(", ", unexpected.Take(5))}");
    }
}
