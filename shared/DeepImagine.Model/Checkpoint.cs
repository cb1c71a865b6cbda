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

/// <summary>What a checkpoint directory holds, read from its config and safetensors headers (no weights loaded).</summary>
public sealed record CheckpointSummary(
    Qwen3Config Config,
    long ParameterCount,
    IReadOnlyDictionary<ScalarType, long> ParametersByStoredType,
    int WeightFiles,
    ChatTokenizer? Tokenizer,
    (LoraSettings Settings, IReadOnlyList<string> Targets)? Adapter);

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

    /// <summary>Loads a checkpoint in float32 (on <paramref name="device"/>, the CPU by default).</summary>
    public static Qwen3ForCausalLM Load(string directory, Device? device = null) => Load(directory, device, ScalarType.Float32);

    /// <summary>
    /// Loads a checkpoint with its parameters created directly on <paramref name="device"/> in <paramref name="dtype"/>
    /// (see <see cref="StoredDtype"/> for the checkpoint's own type) and the weights streamed into them chunk by chunk:
    /// peak memory stays near one copy of the weights in that type.
    /// </summary>
    public static Qwen3ForCausalLM Load(string directory, Device? device, ScalarType dtype)
    {
        var config = Qwen3Config.Load(Path.Combine(directory, ConfigFile));
        var model = new Qwen3ForCausalLM(config, device, dtype);
        try
        {
            using var _ = no_grad();
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            var unexpected = new List<string>();
            foreach (var file in Safetensors.ModelFiles(directory))
            {
                Safetensors.ReadInto(file, entry =>
                {
                    if (parameters.TryGetValue(entry.Name, out var parameter))
                    {
                        loaded.Add(entry.Name);
                        return parameter;
                    }
                    // Tied checkpoints written by others may still carry lm_head.weight (a copy of the embeddings): ignored.
                    if (!(entry.Name == "lm_head.weight" && config.TieWordEmbeddings)) unexpected.Add(entry.Name);
                    return null;
                });
            }
            if (parameters.Keys.FirstOrDefault(name => !loaded.Contains(name)) is { } missing)
                throw new InvalidDataException($"'{directory}': weight '{missing}' is missing");
            if (unexpected.Count > 0) throw new InvalidDataException($"'{directory}': unexpected weights {string.Join(", ", unexpected.Take(5))}");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>The type the checkpoint's weights are stored in (its config's <c>torch_dtype</c>; float32 when absent).</summary>
    public static ScalarType StoredDtype(string directory) => DtypeFromName(Qwen3Config.Load(Path.Combine(directory, ConfigFile)).TorchDtype);

    /// <summary>A Hugging Face dtype name ("bfloat16", "float16", "float32") as a tensor type.</summary>
    public static ScalarType DtypeFromName(string name) => name switch
    {
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        "float32" => ScalarType.Float32,
        _ => throw new NotSupportedException($"torch_dtype '{name}' is not supported (bfloat16, float16 or float32)"),
    };

    /// <summary>
    /// Describes a checkpoint without loading its weights: the configuration (validated: unsupported options throw,
    /// naming the key), parameter counts by stored type from the safetensors headers, the tokenizer if present, and the
    /// LoRA adapter in <c>adapter/</c> if present.
    /// </summary>
    public static CheckpointSummary Describe(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"checkpoint directory '{directory}' does not exist");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"'{directory}' has no {ConfigFile}: not a Hugging Face checkpoint directory", configPath);
        var config = Qwen3Config.Load(configPath);
        var files = Safetensors.ModelFiles(directory);
        var byType = new Dictionary<ScalarType, long>();
        foreach (var file in files)
        {
            foreach (var entry in Safetensors.ReadHeader(file).Entries)
            {
                if (entry.Name == "lm_head.weight" && config.TieWordEmbeddings) continue; // a stored copy of the embeddings
                byType[entry.DType] = byType.GetValueOrDefault(entry.DType) + entry.NumberOfElements;
            }
        }
        var hasTokenizer = File.Exists(Path.Combine(directory, ChatTokenizer.TokenizerJsonFile)) || File.Exists(Path.Combine(directory, ChatTokenizer.VocabFile));
        var adapterConfig = Path.Combine(directory, "adapter", AdapterConfigFile);
        return new CheckpointSummary(config, byType.Values.Sum(), byType, files.Count,
            hasTokenizer ? ChatTokenizer.Load(directory) : null,
            File.Exists(adapterConfig) ? ReadAdapterConfig(adapterConfig) : null);
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

    /// <summary>The LoRA settings and target projections of a PEFT <c>adapter_config.json</c>; options this code does
    /// not implement are rejected by name rather than ignored (they would change the outputs).</summary>
    public static (LoraSettings Settings, IReadOnlyList<string> Targets) ReadAdapterConfig(string path)
    {
        var config = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"'{path}' holds no adapter configuration");
        if (config["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
            throw new NotSupportedException($"'{path}': field 'peft_type' is '{type}'; only LORA adapters are supported");
        foreach (var flag in new[] { "use_rslora", "use_dora", "fan_in_fan_out" })
        {
            if (config[flag] is JsonValue value && value.GetValueKind() == JsonValueKind.True)
                throw new NotSupportedException($"'{path}': field '{flag}' is true; it is not implemented (plain LoRA only)");
        }
        foreach (var map in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (config[map] is JsonObject pattern && pattern.Count > 0)
                throw new NotSupportedException($"'{path}': field '{map}' sets per-module values; it is not implemented (one rank and alpha for all)");
        }
        if (config["modules_to_save"] is JsonArray { Count: > 0 } saved)
            throw new NotSupportedException($"'{path}': field 'modules_to_save' lists {saved.ToJsonString()}; fully trained extra modules are not implemented");
        if (config["bias"]?.GetValue<string>() is { } bias && bias != "none")
            throw new NotSupportedException($"'{path}': field 'bias' is '{bias}'; only 'none' is implemented");
        var rank = config["r"]?.GetValue<int>() ?? throw new InvalidDataException($"'{path}': field 'r' is missing");
        var alpha = config["lora_alpha"]?.GetValue<double>() ?? throw new InvalidDataException($"'{path}': field 'lora_alpha' is missing");
        var settings = new LoraSettings(rank, alpha, config["lora_dropout"]?.GetValue<double>() ?? 0);
        IReadOnlyList<string> targets = config["target_modules"] switch
        {
            JsonArray list => list.Select(t => t!.GetValue<string>()).ToList(),
            // PEFT's shorthand for every linear layer but the output head: all attention and MLP projections here.
            JsonValue all when all.GetValue<string>() == "all-linear" => LoraSettings.DefaultTargets,
            JsonValue other => throw new NotSupportedException($"'{path}': field 'target_modules' is the pattern '{other.GetValue<string>()}'; give a list of module names or \"all-linear\""),
            _ => throw new InvalidDataException($"'{path}': field 'target_modules' is missing"),
        };
        var unknown = targets.Where(t => !LoraSettings.DefaultTargets.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new NotSupportedException($"'{path}': field 'target_modules' names {string.Join(", ", unknown)}; adapters fit {string.Join(", ", LoraSettings.DefaultTargets)}");
        return (settings, targets);
    }

    /// <summary>Adds the adapters saved in <paramref name="directory"/> to a base model.</summary>
    public static void LoadAdapter(Qwen3ForCausalLM model, string directory)
    {
        var (settings, targets) = ReadAdapterConfig(Path.Combine(directory, AdapterConfigFile));
        model.AddLora(settings, targets);
        var parameters = model.LoraParameters().ToDictionary(p => PeftPrefix + p.Name, p => (Tensor)p.Parameter);
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        Safetensors.ReadInto(Path.Combine(directory, AdapterWeightsFile), entry =>
        {
            // PEFT writes "base_model.model.<name>"; adapters saved without the prefix are accepted too.
            var name = entry.Name.StartsWith(PeftPrefix, StringComparison.Ordinal) ? entry.Name : PeftPrefix + entry.Name;
            if (!parameters.TryGetValue(name, out var parameter)) return null;
            loaded.Add(name);
            return parameter;
        });
        if (parameters.Keys.FirstOrDefault(n => !loaded.Contains(n)) is { } missing)
            throw new InvalidDataException($"'{directory}': adapter weight '{missing[PeftPrefix.Length..]}' is missing");
    }
}
