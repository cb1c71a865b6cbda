using static TorchSharp.torch;

namespace DeepImagine.Model.Store;

/// <summary>A stored version loaded for use: the model (adapters applied), its tokenizer and what it was loaded from.</summary>
public sealed class LoadedModel(Qwen3ForCausalLM model, ChatTokenizer tokenizer, StoredVersion version) : IDisposable
{
    public Qwen3ForCausalLM Model { get; } = model;
    public ChatTokenizer Tokenizer { get; } = tokenizer;
    public StoredVersion Version { get; } = version;
    public string Name => Version.Manifest.Name;
    public int Number => Version.Manifest.Version;

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The model store's version not found: <see cref="Field"/> names what was wrong in the request (the model name, or
/// its version), so a caller can say which field of its message to fix.
/// </summary>
public sealed class ModelVersionNotFoundException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}

public sealed partial class ModelStore
{
    /// <summary>
    /// Loads a complete version onto <paramref name="device"/> in float32: a base version as it is; a LoRA version as
    /// its parent base version (found in this store) with its adapter added, and folded into the weights when
    /// <paramref name="mergeAdapters"/> (cheaper to run, not trainable). The
    /// tokenizer is the version's own, else its parent's. Throws <see cref="ModelVersionNotFoundException"/> naming
    /// <c>modelName</c> or <c>version</c> when the store has no such complete version. With <paramref name="verify"/> every
    /// file (the parent's too) is first checked against its manifest (size and SHA-256).
    /// </summary>
    public LoadedModel Load(string name, int version, Device? device = null, bool mergeAdapters = false, bool verify = false)
    {
        var stored = Find(name, version) ?? throw NotFound(name, version);
        if (verify && !Verify(stored)) throw new InvalidDataException($"'{stored.Directory}': files differ from its manifest (size or SHA-256)");
        var manifest = stored.Manifest;
        if (manifest.Kind == BaseKind) return new LoadedModel(Checkpoint.Load(stored.Directory, device), ChatTokenizer.Load(stored.Directory), stored);
        if (manifest.Kind != LoraKind) throw new InvalidDataException($"'{stored.Directory}': manifest field 'kind' is '{manifest.Kind}', not {BaseKind} or {LoraKind}");
        if (manifest.ParentModel is null || manifest.ParentVersion is null)
            throw new InvalidDataException($"'{stored.Directory}': a {LoraKind} version must name its parent (manifest fields 'parentModel', 'parentVersion')");
        var parent = Find(manifest.ParentModel, manifest.ParentVersion)
            ?? throw new InvalidDataException($"'{stored.Directory}': its parent {manifest.ParentModel} v{manifest.ParentVersion} is not complete in the store");
        // A projection holds one adapter (ProjectionLinear.AddAdapter): an adapter trained on an adapter cannot be applied.
        if (parent.Manifest.Kind != BaseKind)
            throw new NotSupportedException($"'{stored.Directory}': its parent {manifest.ParentModel} v{manifest.ParentVersion} is a {parent.Manifest.Kind} version; adapters apply to a base version only");
        if (verify && !Verify(parent)) throw new InvalidDataException($"'{parent.Directory}': files differ from its manifest (size or SHA-256)");
        var model = Checkpoint.Load(parent.Directory, device);
        try
        {
            Checkpoint.LoadAdapter(model, stored.Directory);
            if (mergeAdapters) model.MergeLora();
            // gpu-learner stores the tokenizer beside each adapter; one copied in without it uses its base's.
            var hasTokenizer = File.Exists(Path.Combine(stored.Directory, ChatTokenizer.MergesFile)) || File.Exists(Path.Combine(stored.Directory, ChatTokenizer.TokenizerJsonFile));
            return new LoadedModel(model, ChatTokenizer.Load(hasTokenizer ? stored.Directory : parent.Directory), stored);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private ModelVersionNotFoundException NotFound(string name, int version)
    {
        if (!IsValidName(name)) return new ModelVersionNotFoundException("modelName", $"'{name}' is not a model name (lower-case letters, digits, '.', '-' or '_')");
        var versions = Versions(name);
        return versions.Count == 0
            ? new ModelVersionNotFoundException("modelName", $"the model store has no model '{name}'")
            : new ModelVersionNotFoundException("version", $"model '{name}' has no complete version {version} (complete: {string.Join(", ", versions.Select(v => v.Manifest.Version))})");
    }
}
