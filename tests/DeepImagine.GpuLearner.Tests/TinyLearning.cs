using DeepImagine.Contracts.V1;
using DeepImagine.GpuLearner.Datasets;
using DeepImagine.Model.Store;
using DeepImagine.Model;

namespace DeepImagine.GpuLearner.Tests;

/// <summary>
/// A dataset served from memory, as trace-generator would: step examples whose direction follows from the prompt
/// (a dose increase raises the response, a decrease lowers it, an older population responds the same), so a model
/// can learn them, and a small registry corpus.
/// </summary>
public sealed class FakeDatasets : IDatasetSource
{
    public static readonly Guid DatasetId = Guid.Parse("5d7d0b4a-63a5-4d5e-9d43-0f4c8c1e2a01");
    public List<StepExampleRecord> Examples { get; } = Build();
    public int DescribeCalls { get; private set; }

    public Task<DatasetSummary?> DescribeAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        DescribeCalls++;
        if (datasetId != DatasetId) return Task.FromResult<DatasetSummary?>(null);
        var counts = Examples.GroupBy(e => (e.Factor, e.Split)).Select(g => new DatasetCount(g.Key.Factor, g.Key.Split, g.Count())).ToList();
        return Task.FromResult<DatasetSummary?>(new DatasetSummary(DatasetId, "fake", 1, counts, Examples.Count, 6, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
    }

    public Task<IReadOnlyList<StepExampleRecord>> ExamplesAsync(Guid datasetId, string split, string? factor, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StepExampleRecord>>(Examples.Where(e => e.DatasetId == datasetId && e.Split == split && (factor is null || e.Factor == factor)).ToList());

    public Task<IReadOnlyList<string>> CorpusAsync(Guid datasetId, string split, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(datasetId != DatasetId ? [] : Examples.Where(e => e.Split == split).Select(e => e.Prompt).Distinct().ToList());

    /// <summary>The examples as verifiable prompts (the answer is the observed direction), as trace-generator serves them to grpo jobs.</summary>
    public Task<IReadOnlyList<VerifiablePromptRecord>> PromptsAsync(Guid datasetId, string split, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<VerifiablePromptRecord>>(Examples.Where(e => e.DatasetId == datasetId && e.Split == split)
            .Select(e => new VerifiablePromptRecord(e.ExampleId, e.DatasetId, "approximate-step", e.Factor, e.Split, e.TrialIds, e.TemplateVersion, e.System, e.Prompt, null,
                new VerifiableAnswer(e.ExpectedDirection, e.ExpectedSignificant, e.ExpectedLogRatio, null))).ToList());

    public static IEnumerable<string> Texts(IEnumerable<StepExampleRecord> examples) => examples.SelectMany(e => new[] { e.System, e.Prompt, e.Completion });

    private static List<StepExampleRecord> Build()
    {
        var examples = new List<StepExampleRecord>();
        var drugs = new[] { "aspirin", "metformin", "ibuprofen", "placebo", "insulin", "statin" };
        var index = 0;
        foreach (var drug in drugs)
        {
            foreach (var (from, to) in new[] { (10, 20), (20, 40), (40, 10), (20, 10), (5, 50), (50, 5) })
            {
                var higher = to > from;
                var split = index++ % 4 == 3 ? "validation" : "train";
                examples.Add(Example("dose", split, $"{drug}: dose {from} mg to {to} mg. How does the response change?",
                    higher ? "More drug, more response.\nRESULT: direction=higher log_ratio=0.3 significant=yes"
                           : "Less drug, less response.\nRESULT: direction=lower log_ratio=-0.3 significant=yes",
                    higher ? "higher" : "lower"));
            }
            foreach (var age in new[] { 30, 45, 60, 75 })
            {
                var split = index++ % 4 == 3 ? "validation" : "train";
                examples.Add(Example("population", split, $"{drug}: population aged {age} instead of {age - 10}. How does the response change?",
                    "Age does not change the response.\nRESULT: direction=same log_ratio=0 significant=no", "same"));
            }
        }
        return examples;
    }

    private static StepExampleRecord Example(string factor, string split, string prompt, string completion, string direction) =>
        new(Guid.NewGuid(), DatasetId, factor, split, ["NCT0000000" + (prompt.Length % 10)], 1, "You imagine one step.", prompt, completion, direction,
            direction == "same" ? 0 : direction == "higher" ? 0.3 : -0.3, direction != "same", "grounded");
}

/// <summary>A temporary model store with a tiny random base model (BPE vocabulary learned from the fake dataset).</summary>
public sealed class TinyStore : IDisposable
{
    public const string BaseName = "tiny-base";

    public TinyStore(FakeDatasets datasets, bool withBase = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "gpu-learner-tests", Guid.NewGuid().ToString("N"));
        Store = new ModelStore(Root);
        if (withBase) BaseVersion = PublishBase(datasets);
    }

    public string Root { get; }
    public ModelStore Store { get; }
    public StoredVersion? BaseVersion { get; }

    public static Qwen3Config Config(int vocab) => new()
    {
        VocabSize = vocab,
        HiddenSize = 64,
        IntermediateSize = 128,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 1024,
        TieWordEmbeddings = true,
    };

    private StoredVersion PublishBase(FakeDatasets datasets)
    {
        var tokenizer = BpeTrainer.Train(FakeDatasets.Texts(datasets.Examples), 400);
        using var model = Qwen3ForCausalLM.CreateRandom(Config(tokenizer.VocabSize), seed: 7);
        var staging = Store.NewStagingDirectory(BaseName);
        Checkpoint.Save(model, staging, new CheckpointMetadata { Note = "test base" }, tokenizer: tokenizer);
        return Store.Publish(BaseName, staging, new VersionDescription(ModelStore.BaseKind, null, null, null, new Dictionary<string, double>()));
    }

    public void Dispose()
    {
        // A leftover temporary folder must not fail a test.
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
