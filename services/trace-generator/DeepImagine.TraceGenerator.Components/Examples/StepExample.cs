using System.Security.Cryptography;
using System.Text;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Teaching;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>
/// One step example ready to store: where it comes from (a mined pair, or an Evidence Inference question: kind,
/// relation, key), its orientation, factor, observed result, split and trace.
/// </summary>
public sealed record StepExample(Guid Id, Guid DatasetId, string PairKey, string PairKind, string Relation, string Orientation, string Factor,
    ImaginedResult Observed, string Split, IReadOnlyList<string> TrialIds, StepPrompt Prompt, StepTrace Trace)
{
    public string Completion => StepAnswer.Format(Observed, Trace.Text);

    /// <summary>An example of a mined pair's step.</summary>
    public static StepExample OfPair(Guid id, Guid datasetId, string pairKey, PairStep step, string split, IReadOnlyList<string> trialIds, StepTrace trace) =>
        new(id, datasetId, pairKey, step.Pair.Kind, step.Pair.Relation, step.Orientation, step.Factor, step.Observed, split, trialIds, step.Prompt, trace);

    /// <summary>The same dataset, pair and orientation always give the same id, whoever builds it and how often.</summary>
    public static Guid IdOf(Guid datasetId, string pairKey, string orientation) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{datasetId:N}|{pairKey}|{orientation}"))[..16]);

    /// <summary>A dataset's id follows from its name, so every instance agrees without asking.</summary>
    public static Guid DatasetIdOf(string name) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes("deepimagine-dataset:" + name))[..16]);
}
