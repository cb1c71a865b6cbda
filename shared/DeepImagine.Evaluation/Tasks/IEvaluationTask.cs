namespace DeepImagine.Evaluation.Tasks;

/// <summary>A benchmark: how its files are read, how a prediction line is written and how it is scored.</summary>
public interface IEvaluationTask
{
    string Name { get; }

    /// <summary>What the folds and the bootstrap group by (e.g. "NCT id").</summary>
    string GroupName { get; }

    ITaskScorer Scorer { get; }

    /// <summary>Every question of the file; answers where the file has them (they are kept apart from the questions).</summary>
    IReadOnlyList<TargetQuestion> Load(string path);

    /// <summary>One line of the benchmark's prediction layout; <paramref name="note"/> says why the class prior was used, if it was.</summary>
    string PredictionLine(EvalQuestion question, double[] probabilities, string? note);
}

/// <summary>Word tokens for features: lower case, letters and digits, at least two characters, minus a few stop words.</summary>
public static class FeatureWords
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "of", "and", "in", "to", "a", "an", "or", "for", "with", "on", "at", "by", "from", "as", "is", "are", "be",
        "this", "that", "will", "was", "were", "who", "which", "each", "all", "per", "than", "vs", "versus", "after", "during",
    };

    public static IEnumerable<string> Of(string prefix, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        var word = new System.Text.StringBuilder();
        foreach (var c in text.ToLowerInvariant().Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
                continue;
            }
            if (word.Length >= 2 && !StopWords.Contains(word.ToString())) yield return prefix + word;
            word.Clear();
        }
    }
}
