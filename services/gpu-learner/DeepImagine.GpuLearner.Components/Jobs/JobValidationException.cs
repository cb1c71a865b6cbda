namespace DeepImagine.GpuLearner.Jobs;

/// <summary>A job refused at submission: <see cref="Field"/> names what is wrong (e.g. <c>hyperParameters.steps</c>, <c>datasetId</c>).</summary>
public sealed class JobValidationException(string field, string reason) : Exception($"{field}: {reason}")
{
    public string Field { get; } = field;
    public string Reason { get; } = reason;
}
