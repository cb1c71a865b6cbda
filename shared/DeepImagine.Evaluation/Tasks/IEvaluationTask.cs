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

/// <summary>Word tokens for features: the shared word terms (<see cref="Imagining.Retrieval.TextTerms"/>), namespaced by a prefix.</summary>
public static class FeatureWords
{
    public static IEnumerable<string> Of(string prefix, string? text) => Imagining.Retrieval.TextTerms.Of(text).Select(word => prefix + word);
}
