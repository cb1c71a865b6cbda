using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepImagine.Model;

namespace DeepImagine.Model.Store;

/// <summary>One file of a model version with its size and SHA-256.</summary>
public sealed record ManifestFile(string Path, long Bytes, string Sha256);

/// <summary>
/// <c>manifest.json</c> of a model version, written last: its presence is what makes the version complete.
/// <see cref="Sha256"/> digests the sorted file list (path, size, hash of each), so it identifies the whole version.
/// </summary>
public sealed record ModelManifest(
    int FormatVersion,
    string Name,
    int Version,
    string Kind,
    string? ParentModel,
    int? ParentVersion,
    Guid? JobId,
    IReadOnlyList<ManifestFile> Files,
    string Sha256,
    IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset CreatedAt);

/// <summary>A complete version in the store: its manifest and absolute directory.</summary>
public sealed record StoredVersion(ModelManifest Manifest, string Directory)
{
    /// <summary>models/&lt;name&gt;/v&lt;N&gt;, relative to the store root.</summary>
    public string RelativePath => $"models/{Manifest.Name}/v{Manifest.Version}";
}

/// <summary>What a new version is: everything of the manifest except what the store computes (version, files, digest).</summary>
public sealed record VersionDescription(string Kind, string? ParentModel, int? ParentVersion, Guid? JobId, IReadOnlyDictionary<string, double> Metrics);

// Shared (gpu-learner writes the store, the predictor reads it); the namespace stays gpu-learner's so its users are unchanged.

/// <summary>
/// The model store: <c>models/&lt;name&gt;/v&lt;N&gt;/</c> with weights, config, tokenizer, metrics and a manifest written
/// last; readers trust only versions with a manifest. Job working directories (resumable checkpoints) live under
/// <c>jobs/&lt;job id&gt;/</c>. Weights stay here; only paths and hashes travel on the bus.
/// </summary>
public sealed partial class ModelStore
{
    public const string ManifestFile = "manifest.json";
    public const string BaseKind = "base";
    public const string LoraKind = "lora";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public ModelStore(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("the model store needs a directory (GpuLearner:ModelStore, RolloutGenerator:ModelStore)", nameof(root));
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(ModelsDirectory);
    }

    public string Root { get; }
    public string ModelsDirectory => Path.Combine(Root, "models");
    public string JobDirectory(Guid jobId) => Path.Combine(Root, "jobs", jobId.ToString("N"));

    public static bool IsValidName(string? name) => name is not null && ModelName().IsMatch(name);

    /// <summary>The complete versions of a model, oldest first; a version directory without a manifest is ignored.</summary>
    public IReadOnlyList<StoredVersion> Versions(string name)
    {
        var directory = Path.Combine(ModelsDirectory, name);
        if (!IsValidName(name) || !Directory.Exists(directory)) return [];
        return Directory.EnumerateDirectories(directory)
            .Select(d => (Dir: d, Number: VersionNumber(Path.GetFileName(d))))
            .Where(v => v.Number is not null && File.Exists(Path.Combine(v.Dir, ManifestFile)))
            .OrderBy(v => v.Number)
            .Select(v => new StoredVersion(ReadManifest(v.Dir), v.Dir))
            .ToList();
    }

    public IReadOnlyList<StoredVersion> AllVersions() =>
        Directory.EnumerateDirectories(ModelsDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).SelectMany(Versions).ToList();

    /// <summary>The given version, or the newest complete one when <paramref name="version"/> is null.</summary>
    public StoredVersion? Find(string name, int? version = null)
    {
        var versions = Versions(name);
        return version is null ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.Manifest.Version == version);
    }

    /// <summary>The version a job already published under a name (a resumed job publishes once).</summary>
    public StoredVersion? FindByJob(string name, Guid jobId) => Versions(name).FirstOrDefault(v => v.Manifest.JobId == jobId);

    /// <summary>A fresh staging directory beside the versions, so publishing is a rename on the same file system.</summary>
    public string NewStagingDirectory(string name)
    {
        RequireName(name);
        var staging = Path.Combine(ModelsDirectory, name, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>
    /// Moves a staged directory to the next free <c>v&lt;N&gt;</c> and then writes its manifest (via a temporary file and
    /// a rename, so a reader never sees half a manifest).
    /// </summary>
    public StoredVersion Publish(string name, string stagingDirectory, VersionDescription description)
    {
        RequireName(name);
        if (description.Kind is not (BaseKind or LoraKind)) throw new ArgumentException($"model kind '{description.Kind}' must be {BaseKind} or {LoraKind}", nameof(description));
        var modelDirectory = Path.Combine(ModelsDirectory, name);
        while (true)
        {
            var taken = Directory.EnumerateDirectories(modelDirectory).Select(d => VersionNumber(Path.GetFileName(d))).OfType<int>().DefaultIfEmpty(0).Max();
            var version = taken + 1;
            var target = Path.Combine(modelDirectory, $"v{version}");
            try
            {
                Directory.Move(stagingDirectory, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                continue; // another writer took this number first
            }
            var files = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(target, f).Replace('\\', '/'))
                .Where(f => f != ManifestFile)
                .Order(StringComparer.Ordinal)
                .Select(f => new ManifestFile(f, new FileInfo(Path.Combine(target, f)).Length, HashFile(Path.Combine(target, f))))
                .ToList();
            var manifest = new ModelManifest(1, name, version, description.Kind, description.ParentModel, description.ParentVersion, description.JobId,
                files, Digest(files), description.Metrics, DateTimeOffset.UtcNow);
            var temporary = Path.Combine(target, ManifestFile + ".tmp");
            File.WriteAllText(temporary, JsonSerializer.Serialize(manifest, Json));
            File.Move(temporary, Path.Combine(target, ManifestFile));
            return new StoredVersion(manifest, target);
        }
    }

    /// <summary>
    /// Registers a Hugging Face Qwen3 checkpoint directory as a base model: checks that it loads (config, safetensors,
    /// tokenizer), copies it into the store and publishes it as the model's next version.
    /// </summary>
    public StoredVersion RegisterCheckpoint(string name, string sourceDirectory)
    {
        RequireName(name);
        if (!Directory.Exists(sourceDirectory)) throw new DirectoryNotFoundException($"path: checkpoint directory '{sourceDirectory}' does not exist");
        var config = Path.Combine(sourceDirectory, Checkpoint.ConfigFile);
        if (!File.Exists(config)) throw new ArgumentException($"path: '{sourceDirectory}' has no {Checkpoint.ConfigFile} (a Hugging Face checkpoint directory is expected)");
        Qwen3Config.Load(config).Validate(config);
        if (!Directory.EnumerateFiles(sourceDirectory, "*.safetensors").Any()) throw new ArgumentException($"path: '{sourceDirectory}' has no .safetensors weights");
        var hasTokenizer = File.Exists(Path.Combine(sourceDirectory, ChatTokenizer.TokenizerJsonFile))
            || (File.Exists(Path.Combine(sourceDirectory, ChatTokenizer.VocabFile)) && File.Exists(Path.Combine(sourceDirectory, ChatTokenizer.MergesFile)));
        if (!hasTokenizer) throw new ArgumentException($"path: '{sourceDirectory}' has no tokenizer ({ChatTokenizer.TokenizerJsonFile}, or {ChatTokenizer.VocabFile} and {ChatTokenizer.MergesFile})");
        var staging = NewStagingDirectory(name);
        // A directory copied from another store brings its manifest: this store writes its own.
        foreach (var file in Directory.EnumerateFiles(sourceDirectory).Where(f => Path.GetFileName(f) != ManifestFile))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }
        return Publish(name, staging, new VersionDescription(BaseKind, null, null, null, new Dictionary<string, double>()));
    }

    public static ModelManifest ReadManifest(string versionDirectory)
    {
        var path = Path.Combine(versionDirectory, ManifestFile);
        return JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"'{path}': empty manifest");
    }

    /// <summary>Checks every file of a version against its manifest (size and SHA-256).</summary>
    public static bool Verify(StoredVersion version) =>
        version.Manifest.Files.All(f =>
        {
            var path = Path.Combine(version.Directory, f.Path);
            return File.Exists(path) && new FileInfo(path).Length == f.Bytes && HashFile(path) == f.Sha256;
        }) && Digest(version.Manifest.Files) == version.Manifest.Sha256;

    private static string Digest(IEnumerable<ManifestFile> files) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(files.Select(f => $"{f.Path}\t{f.Bytes}\t{f.Sha256}\n")))));

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static int? VersionNumber(string? directoryName) =>
        directoryName is { Length: > 1 } && directoryName[0] == 'v' && int.TryParse(directoryName.AsSpan(1), out var n) && n > 0 ? n : null;

    private static void RequireName(string name)
    {
        if (!IsValidName(name)) throw new ArgumentException($"name: model name '{name}' must be lower-case letters, digits, '.', '-' or '_' (at most 64)");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ModelName();
}
