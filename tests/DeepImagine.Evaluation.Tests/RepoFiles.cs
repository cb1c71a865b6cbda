namespace DeepImagine.Evaluation.Tests;

/// <summary>The benchmark files bundled under data/ (each folder has its SOURCE.md).</summary>
internal static class RepoFiles
{
    public static string Winter2025 => Path.Combine(Trials.Tests.RepoData.Root, "data", "benchmarks", "ct-open", "winter-2025.json");

    public static string EvidenceInference => Path.Combine(Trials.Tests.RepoData.Root, "data", "evidence-inference", "questions.jsonl.gz");
}
