using DeepImagine.Imagining;

namespace DeepImagine.TraceGenerator;

/// <summary>trace-generator's settings, section <c>TraceGeneration</c> (env <c>TraceGeneration__DatasetName</c>, …).</summary>
public sealed class TraceGenerationOptions
{
    public const string SectionName = "TraceGeneration";

    /// <summary>The dataset new examples go to; a new template version starts a new dataset by default.</summary>
    public string DatasetName { get; set; } = $"steps-v{StepFormat.TemplateVersion}";

    /// <summary>At start-up, fill the dataset from the trials pair-miner stored before it existed (see DatasetBackfill).</summary>
    public bool Backfill { get; set; } = true;

    public ExternalTeacherOptions ExternalTeacher { get; set; } = new();
}

/// <summary>
/// An OpenAI-compatible chat endpoint that writes traces (section <c>TraceGeneration:ExternalTeacher</c>). Off by
/// default; when on, its trace is kept only where its RESULT line agrees with the observed result, else the built-in
/// grounded teacher's trace is stored.
/// </summary>
public sealed class ExternalTeacherOptions
{
    public bool Enabled { get; set; }
    /// <summary>Base URL of the API, e.g. <c>http://127.0.0.1:8000/v1</c> (the client appends <c>/chat/completions</c>).</summary>
    public string? Url { get; set; }
    public string? Model { get; set; }
    public string? ApiKey { get; set; }
    public double Temperature { get; set; } = 0.2;
    public int TimeoutSeconds { get; set; } = 60;

    public void Validate()
    {
        if (!Enabled) return;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out _))
            throw new InvalidOperationException($"TraceGeneration:ExternalTeacher:Url '{Url}' is not an absolute URL (the teacher is enabled)");
        if (string.IsNullOrWhiteSpace(Model))
            throw new InvalidOperationException("TraceGeneration:ExternalTeacher:Model is empty (the teacher is enabled)");
    }
}
