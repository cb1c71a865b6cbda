using System.Security.Cryptography;
using System.Text;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Teaching;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>One step example ready to store: the step, its split and its trace.</summary>
public sealed record StepExample(Guid Id, Guid DatasetId, string PairKey, PairStep Step, string Split, IReadOnlyList<string> TrialIds, StepPrompt Prompt, StepTrace Trace)
{
    public string Completion => StepAnswer.Format(Step.Observed, Trace.Text);

    /// <summary>The same dataset, pair and orientation always give the same id, whoever builds it and how often.</summary>
    public static Guid IdOf(Guid datasetId, string pairKey, string orientation) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{datasetId:N}|{pairKey}|{orientation}"))[..16]);

    /// <summary>A dataset's id follows from its name, so every instance agrees without asking.</summary>
    public static Guid DatasetIdOf(string name) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes("deepimagine-dataset:" + name))[..16]);
}
