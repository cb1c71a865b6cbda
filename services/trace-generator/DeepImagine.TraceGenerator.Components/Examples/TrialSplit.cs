using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>
/// Train / validation / test by trial: a stable hash of the trial id (SHA-256, so every machine and run agrees), 80 / 10
/// / 10. A pair spanning trials of different splits goes to the most held-out split among them (test &gt; validation &gt;
/// train): a training example then only ever holds training trials, so no validation or test trial leaks into training.
/// </summary>
public static class TrialSplit
{
    public const string Train = "train";
    public const string Validation = "validation";
    public const string Test = "test";

    public static readonly IReadOnlyList<string> All = [Train, Validation, Test];

    public static string Of(string trialId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trialId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("deepimagine-split:" + trialId.Trim()));
        var bucket = BinaryPrimitives.ReadUInt64BigEndian(hash) % 100;
        return bucket < 80 ? Train : bucket < 90 ? Validation : Test;
    }

    /// <summary>The split of an example over these trials: the most held-out of theirs.</summary>
    public static string OfExample(IEnumerable<string> trialIds) =>
        trialIds.Select(Of).MaxBy(Rank) ?? throw new ArgumentException("an example names no trial", nameof(trialIds));

    private static int Rank(string split) => split switch { Test => 2, Validation => 1, _ => 0 };
}
