using System.Globalization;
using DeepImagine.Model;
using TorchSharp;

namespace DeepImagine.Model.Store;

/// <summary>
/// Choosing and loading a model version of the store for inference: a base version as it is, a LoRA version on its
/// parent base with the adapters merged (nothing is trained any more, and merged weights run as fast as the base).
/// </summary>
public static class StoredModels
{
    /// <summary>The base model <c>make train</c> pretrains.</summary>
    public const string BaseModel = "deepimagine-base";

    /// <summary>The operator SFT'd over all factors on <see cref="BaseModel"/> (<c>train --kind sft --factor all</c>).</summary>
    public const string AllFactorsModel = BaseModel + "-all";

    /// <summary>
    /// <paramref name="spec"/> <c>NAME</c> (newest version), <c>NAME:N</c> or <c>NAME:vN</c>; null chooses the newest
    /// all-factor operator if there is one, else the newest base model. Throws <see cref="ArgumentException"/> saying
    /// what to run when the store has no such model.
    /// </summary>
    public static StoredVersion Resolve(ModelStore store, string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return store.Find(AllFactorsModel) ?? store.Find(BaseModel)
                ?? throw new ArgumentException($"the model store {store.Root} has neither '{AllFactorsModel}' nor '{BaseModel}': run `make train` (or ./deepimagine train --kind pretrain --wait), or give --model NAME[:VERSION] / --model-store DIR");
        }
        var parts = spec.Split(':', 2);
        var name = parts[0].Trim();
        int? version = null;
        if (parts.Length == 2)
        {
            var text = parts[1].Trim().TrimStart('v');
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
                throw new ArgumentException($"--model '{spec}': the version must be a positive number (NAME:3 or NAME:v3)");
            version = number;
        }
        if (!ModelStore.IsValidName(name)) throw new ArgumentException($"--model '{spec}': '{name}' is not a model name (lower-case letters, digits, '.', '-', '_')");
        return store.Find(name, version)
            ?? throw new ArgumentException($"--model '{spec}': the model store {store.Root} has no complete version of it (./deepimagine models list shows what there is; `make train` trains the defaults)");
    }

    /// <summary>The version's weights on <paramref name="device"/> (adapters merged into the parent base) and its tokenizer.</summary>
    public static (Qwen3ForCausalLM Model, ChatTokenizer Tokenizer) Load(ModelStore store, StoredVersion version, torch.Device device)
    {
        var manifest = version.Manifest;
        if (manifest.Kind == ModelStore.BaseKind)
            return (Checkpoint.Load(version.Directory, device), ChatTokenizer.Load(version.Directory));
        if (manifest.ParentModel is not { } parent)
            throw new InvalidDataException($"{version.RelativePath}: a {manifest.Kind} version without a parent model in its manifest");
        var baseVersion = store.Find(parent, manifest.ParentVersion)
            ?? throw new InvalidDataException($"{version.RelativePath}: its base {parent}:v{manifest.ParentVersion} is no longer in the store");
        var model = Checkpoint.Load(baseVersion.Directory, device);
        try
        {
            Checkpoint.LoadAdapter(model, version.Directory);
            model.MergeLora();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        // SFT versions carry the tokenizer they were trained with (the base's).
        var tokenizerDirectory = File.Exists(Path.Combine(version.Directory, ChatTokenizer.MergesFile)) ? version.Directory : baseVersion.Directory;
        return (model, ChatTokenizer.Load(tokenizerDirectory));
    }

    /// <summary>What a version is, for reports and cache keys: <c>name:vN</c> and its manifest digest.</summary>
    public static string Describe(StoredVersion version) => $"{version.Manifest.Name}:v{version.Manifest.Version} (sha256 {version.Manifest.Sha256[..12]})";
}
