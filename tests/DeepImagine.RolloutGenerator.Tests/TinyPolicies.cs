using DeepImagine.Model;
using DeepImagine.Model.Store;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.RolloutGenerator.Tests;

/// <summary>
/// A temporary model store written with the project's own checkpoint writer and store: a tiny random base model
/// (2 layers, width 32) with a BPE vocabulary, and LoRA policy versions on it whose adapters are random (not zero), so
/// each version samples differently from its base.
/// </summary>
public sealed class TinyPolicies : IDisposable
{
    public const string BaseName = "tiny-base";
    public const string PolicyName = "tiny-policy";

    private static readonly string[] Corpus =
    [
        "Dose 10 mg to 20 mg: the response is higher.",
        "Placebo instead of aspirin: the response is lower and not significant.",
        "RESULT: direction=higher log_ratio=0.300 significant=yes",
        "RESULT: direction=lower log_ratio=-0.300 significant=no",
        "RESULT: direction=same log_ratio=0.000 significant=unknown",
        "An older population responds the same to metformin in phase 3 trials.",
    ];

    public TinyPolicies()
    {
        Root = Path.Combine(Path.GetTempPath(), "rollout-generator-tests", Guid.NewGuid().ToString("N"));
        Store = new ModelStore(Root);
        var tokenizer = BpeTrainer.Train(Corpus, 300);
        using var model = Qwen3ForCausalLM.CreateRandom(new Qwen3Config
        {
            VocabSize = tokenizer.VocabSize,
            HiddenSize = 32,
            IntermediateSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDim = 8,
            RopeTheta = 10000,
            MaxPositionEmbeddings = 512,
            TieWordEmbeddings = true,
            EosTokenId = tokenizer.ImEndId,
        }, seed: 11);
        var staging = Store.NewStagingDirectory(BaseName);
        Checkpoint.Save(model, staging, new CheckpointMetadata { Note = "rollout test base" }, tokenizer: tokenizer);
        Base = Store.Publish(BaseName, staging, new VersionDescription(ModelStore.BaseKind, null, null, null, new Dictionary<string, double>()));
    }

    public string Root { get; }
    public ModelStore Store { get; }
    public StoredVersion Base { get; }

    /// <summary>Publishes the next version of the policy: the base with a random adapter drawn from <paramref name="seed"/>.</summary>
    public StoredVersion PublishPolicy(int seed)
    {
        using var model = Checkpoint.Load(Base.Directory);
        torch.random.manual_seed(seed);
        model.AddLora(new LoraSettings(Rank: 4, Alpha: 8));
        using (no_grad())
        {
            // LoRA's B starts at zero (the adapter changes nothing); a trained one does not.
            foreach (var (name, parameter) in model.LoraParameters().Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal)))
                parameter.copy_(randn_like(parameter) * 0.5);
        }
        var staging = Store.NewStagingDirectory(PolicyName);
        Checkpoint.SaveAdapter(model, staging);
        ChatTokenizer.Load(Base.Directory).Save(staging);
        return Store.Publish(PolicyName, staging, new VersionDescription(ModelStore.LoraKind, BaseName, Base.Manifest.Version, null, new Dictionary<string, double>()));
    }

    public void Dispose()
    {
        // A leftover temporary folder must not fail a test.
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
