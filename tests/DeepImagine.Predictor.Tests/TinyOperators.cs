using DeepImagine.Model.Store;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.Model;
using DeepImagine.Predictor.Engine;

namespace DeepImagine.Predictor.Tests;

/// <summary>
/// A temporary model store written by the test: a tiny random base model (vocabulary learned from step-format text)
/// and, where asked, a LoRA operator per factor on it, published the way gpu-learner publishes them.
/// </summary>
public sealed class TinyOperators : IDisposable
{
    public const string BaseName = "tiny-base";

    public TinyOperators(bool withBase = true, params string[] adapterFactors)
    {
        Root = Path.Combine(Path.GetTempPath(), "predictor-tests", Guid.NewGuid().ToString("N"));
        Store = new ModelStore(Root);
        if (!withBase) return;
        Tokenizer = BpeTrainer.Train(Corpus(), 400);
        using var model = Qwen3ForCausalLM.CreateRandom(Config(Tokenizer.VocabSize), seed: 11);
        var staging = Store.NewStagingDirectory(BaseName);
        Checkpoint.Save(model, staging, new CheckpointMetadata { Note = "predictor test base" }, tokenizer: Tokenizer);
        BaseVersion = Store.Publish(BaseName, staging, new VersionDescription(ModelStore.BaseKind, null, null, null, new Dictionary<string, double>()));
        foreach (var factor in adapterFactors) PublishAdapter(factor, seed: 100 + factor.Length);
    }

    public string Root { get; }
    public ModelStore Store { get; }
    public ChatTokenizer? Tokenizer { get; }
    public StoredVersion? BaseVersion { get; }

    /// <summary>A LoRA operator <c>tiny-base-&lt;factor&gt;</c> with random (non-zero) adapter weights, so it answers differently from the base.</summary>
    public StoredVersion PublishAdapter(string factor, int seed)
    {
        using var model = Checkpoint.Load(BaseVersion!.Directory);
        TorchSharp.torch.random.manual_seed(seed);
        model.AddLora(new LoraSettings(4, 8));
        using (TorchSharp.torch.no_grad())
        {
            foreach (var p in model.LoraParameters()) p.Parameter.normal_(0, 0.5);
        }
        var name = $"{BaseName}-{factor}";
        var staging = Store.NewStagingDirectory(name);
        Checkpoint.SaveAdapter(model, staging);
        Tokenizer!.Save(staging);
        return Store.Publish(name, staging, new VersionDescription(ModelStore.LoraKind, BaseName, BaseVersion.Manifest.Version, null, new Dictionary<string, double>()));
    }

    public static Qwen3Config Config(int vocab) => new()
    {
        VocabSize = vocab,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 8,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 2048,
        TieWordEmbeddings = true,
    };

    private static IEnumerable<string> Corpus()
    {
        yield return StepFormat.SystemText;
        foreach (var item in Knowledge.Items()) yield return System.Text.Json.JsonSerializer.Serialize(item);
        yield return "RESULT: direction=higher log_ratio=0.3 significant=yes\nRESULT: direction=lower log_ratio=unknown significant=no\nRESULT: direction=same log_ratio=0 significant=unknown";
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Hand-written CT Open items in the benchmark's wording, with known answers where a test needs them.</summary>
public static class Knowledge
{
    public static CtOpenItem Item(string nctId, string drug, string measure, int? threeWayAnswer, string? dose = null, string? timeFrame = "Week 12") => new()
    {
        NctId = nctId,
        EndpointKey = $"{{'measure': '{measure}'}}",
        BriefTitle = $"A study of {drug} in asthma",
        Endpoint = new CtOpenEndpoint { Measure = measure, TimeFrame = timeFrame, OutcomeType = "primaryOutcomes" },
        Arms =
        [
            new CtOpenArm
            {
                Label = dose is null ? drug : $"{drug} {dose}", Type = "EXPERIMENTAL", Description = dose is null ? null : $"{drug} {dose} once daily",
                InterventionNames = [$"Drug: {drug}"], Interventions = [new CtOpenIntervention { Type = "DRUG", Name = drug }],
            },
            new CtOpenArm { Label = "Placebo", Type = "PLACEBO_COMPARATOR", InterventionNames = ["Drug: Placebo"], Interventions = [new CtOpenIntervention { Type = "DRUG", Name = "Placebo" }] },
        ],
        MetaLabel = "single_arm",
        Questions =
        [
            new CtOpenQuestion
            {
                Options =
                [
                    $"The study arm {(dose is null ? drug : $"{drug} {dose}")} has achieved statistically significant improvements over the study arm Placebo with respect to this specific endpoint.",
                    $"The study arm {(dose is null ? drug : $"{drug} {dose}")} has not achieved statistically significant improvements over the study arm Placebo with respect to this specific endpoint, either because of no statistical effect or worse effect.",
                ],
                AnswerIndex = threeWayAnswer is null ? null : threeWayAnswer == 0 ? 0 : 1,
            },
            new CtOpenQuestion
            {
                Options =
                [
                    $"Study Arm Placebo is statistically significantly worse than Study Arm {(dose is null ? drug : $"{drug} {dose}")}.",
                    $"Study Arm {(dose is null ? drug : $"{drug} {dose}")} is statistically significantly worse than Study Arm Placebo.",
                    $"No statistically significant difference between Study Arm {(dose is null ? drug : $"{drug} {dose}")} and Study Arm Placebo.",
                ],
                AnswerIndex = threeWayAnswer,
            },
        ],
    };

    public static IEnumerable<CtOpenItem> Items()
    {
        yield return Item("NCT00000001", "Budesonide", "Change in FEV1", 0);
        yield return Item("NCT00000002", "Fluticasone", "Change in FEV1", 2);
        yield return Item("NCT00000003", "Budesonide", "Asthma exacerbation rate", 1, timeFrame: "Week 52");
        yield return Item("NCT00000004", "Montelukast", "Change in FEV1", 0, dose: "10 mg");
        yield return Item("NCT00000005", "Budesonide", "Change in FEV1", 2, dose: "400 mcg");
    }

    public static List<KnowledgeItem> Anchors() => Items().Select(i => new KnowledgeItem(i, null, null)).ToList();

    public static PredictionTarget Target(string nctId = "NCT09999999") =>
        new(Item(nctId, "Budesonide", "Change in FEV1", null, dose: "200 mcg", timeFrame: "Week 24"));
}
