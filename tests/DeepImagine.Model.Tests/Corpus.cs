using System.IO.Compression;

namespace DeepImagine.Model.Tests;

/// <summary>Training text from the bundled real trial records (the raw v2 JSON of the first studies).</summary>
internal static class Corpus
{
    public static string Root => DeepImagine.Tests.RepoRoot.Path;

    public static IReadOnlyList<string> TrialText(int studies = 150)
    {
        using var stream = new GZipStream(File.OpenRead(Path.Combine(Root, "data", "ctgov-v2-json", "studies.jsonl.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (lines.Count < studies && reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    private static readonly Lazy<ChatTokenizer> Trained = new(() => BpeTrainer.Train(TrialText(), vocabSize: 1000));

    /// <summary>A 1,000-token vocabulary trained once per test run.</summary>
    public static ChatTokenizer Tokenizer => Trained.Value;
}
