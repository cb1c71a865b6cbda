using DeepImagine.Contracts.V1;

namespace DeepImagine.GpuLearner.Datasets;

/// <summary>A dataset as trace-generator describes it: counts of step examples per factor and split.</summary>
public sealed record DatasetDescription(Guid DatasetId, string Name, int TemplateVersion, IReadOnlyList<DatasetCount> Counts)
{
    public int Count(string split, string? factor) =>
        Counts.Where(c => c.Split == split && (factor is null || c.Factor == factor)).Sum(c => c.Examples);
}

/// <summary>Where training data comes from: trace-generator's datasets API (a test double in tests).</summary>
public interface IDatasetSource
{
    /// <summary>The dataset, or null when trace-generator does not know it.</summary>
    Task<DatasetDescription?> DescribeAsync(Guid datasetId, CancellationToken cancellationToken);

    /// <summary>Every example of a split (and factor, when given), in the server's stable order.</summary>
    Task<IReadOnlyList<StepExampleRecord>> ExamplesAsync(Guid datasetId, string split, string? factor, CancellationToken cancellationToken);

    /// <summary>Registry text of the split's trials for pretraining (never results), one document per trial.</summary>
    Task<IReadOnlyList<string>> CorpusAsync(Guid datasetId, string split, CancellationToken cancellationToken);
}
