using DeepImagine.Model.Store;
using DeepImagine.Model;
using DeepImagine.Pairs;

namespace DeepImagine.Predictor.Operators;

/// <summary>One loaded model a factor's steps run on; <see cref="Version"/> names it (<c>name@vN</c>, LoRA on <c>base@vM</c>).</summary>
public sealed class StepOperator(string version, Qwen3ForCausalLM model, ChatTokenizer tokenizer) : IDisposable
{
    private readonly Dictionary<string, PromptPrefix> prefixes = new(StringComparer.Ordinal);

    public string Version { get; } = version;
    public Qwen3ForCausalLM Model { get; } = model;
    public ChatTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>
    /// The keys and values of a chat that begins with this system message (its turn in the chat template), computed
    /// once for this operator's model: every step prompt starts with the same system text, so a batch starts from it.
    /// </summary>
    public PromptPrefix SystemPrefix(string system)
    {
        lock (prefixes)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!prefixes.TryGetValue(system, out var prefix))
            {
                prefix = PromptPrefix.Compute(Model, Tokenizer.Encode(Tokenizer.FormatChat([new ChatMessage("system", system)], addGenerationPrompt: false)));
                prefixes[system] = prefix;
            }
            return prefix;
        }
    }

    private bool disposed;

    public void Dispose()
    {
        lock (prefixes)
        {
            disposed = true;
            foreach (var prefix in prefixes.Values) prefix.Dispose();
            prefixes.Clear();
        }
        Model.Dispose();
    }
}

/// <summary>
/// The operators of one base model, one per factor: the SFT operator <c>&lt;base&gt;-&lt;factor&gt;</c> (a LoRA adapter
/// on the base) where the store has one for this base, else <c>&lt;base&gt;-all</c>, else the base itself. Each distinct
/// model is loaded once; the newest complete version of each is taken.
/// </summary>
public sealed class OperatorSet : IDisposable
{
    private readonly Dictionary<string, StepOperator> byFactor;
    private readonly List<StepOperator> loaded;

    private OperatorSet(Dictionary<string, StepOperator> byFactor, List<StepOperator> loaded)
    {
        this.byFactor = byFactor;
        this.loaded = loaded;
    }

    public StepOperator For(string factor) =>
        byFactor.TryGetValue(factor, out var op) ? op : throw new ArgumentException($"factor '{factor}' has no operator; factors are {string.Join(", ", Factors.All)}");

    /// <summary>Factor → model version used for it.</summary>
    public IReadOnlyDictionary<string, string> Versions => byFactor.ToDictionary(p => p.Key, p => p.Value.Version);

    /// <summary>A fingerprint of what is loaded: the same store content gives the same key (a reload is then skipped).</summary>
    public string Key => string.Join(';', loaded.Select(o => o.Version).Order(StringComparer.Ordinal));

    /// <summary>Null when the store has no complete version of the base model.</summary>
    public static OperatorSet? Load(ModelStore store, string baseName)
    {
        var baseVersion = store.Find(baseName);
        if (baseVersion is null) return null;
        var baseId = $"{baseName}@v{baseVersion.Manifest.Version}";
        var loaded = new List<StepOperator>();
        var byModel = new Dictionary<string, StepOperator>(StringComparer.Ordinal);
        var byFactor = new Dictionary<string, StepOperator>(StringComparer.Ordinal);
        try
        {
            foreach (var factor in Factors.All)
            {
                var adapter = AdapterFor(store, baseName, baseVersion.Manifest.Version, factor) ?? AdapterFor(store, baseName, baseVersion.Manifest.Version, "all");
                var id = adapter is null ? baseId : $"{adapter.Manifest.Name}@v{adapter.Manifest.Version} (on {baseId})";
                if (!byModel.TryGetValue(id, out var op))
                {
                    var model = Checkpoint.Load(baseVersion.Directory, TorchDevice.Default);
                    if (adapter is not null)
                    {
                        Checkpoint.LoadAdapter(model, adapter.Directory);
                        // Served, never trained here: folding the adapter into the weights gives the same outputs with
                        // one matrix product per projection instead of three (and their extra operations).
                        model.MergeLora();
                    }
                    model.eval();
                    op = new StepOperator(id, model, ChatTokenizer.Load(baseVersion.Directory));
                    byModel[id] = op;
                    loaded.Add(op);
                }
                byFactor[factor] = op;
            }
            return new OperatorSet(byFactor, loaded);
        }
        catch
        {
            foreach (var op in loaded) op.Dispose();
            throw;
        }
    }

    /// <summary>The newest version of <c>&lt;base&gt;-&lt;suffix&gt;</c> trained on this very base version (an adapter of an older base would not fit it).</summary>
    private static StoredVersion? AdapterFor(ModelStore store, string baseName, int baseVersion, string suffix) =>
        store.Versions($"{baseName}-{suffix}")
            .LastOrDefault(v => v.Manifest.Kind == ModelStore.LoraKind && v.Manifest.ParentModel == baseName && v.Manifest.ParentVersion == baseVersion);

    public void Dispose()
    {
        foreach (var op in loaded) op.Dispose();
    }
}
