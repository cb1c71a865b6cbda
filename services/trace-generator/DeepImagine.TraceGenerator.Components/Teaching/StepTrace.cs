namespace DeepImagine.TraceGenerator.Teaching;

/// <summary>One fact a trace uses: its name (the label the trace line starts with) and the sentence stating it.</summary>
public sealed record TraceFact(string Name, string Sentence);

/// <summary>A reasoning trace for one step (without the RESULT line), the facts it states and who wrote it.</summary>
public sealed record StepTrace(string Text, IReadOnlyList<TraceFact> Facts, string Source);

/// <summary>Names of the trace sources stored with every example.</summary>
public static class TraceSources
{
    public const string Grounded = "grounded";

    public static string External(string model) => $"external:{model}";
}
