using DeepImagine.Contracts.V1;

namespace DeepImagine.GpuLearner.Datasets;

public static class DatasetSummaryExtensions
{
    /// <summary>Examples of a split, of one factor or (null) of all.</summary>
    public static int Count(this DatasetSummary dataset, string split, string? factor) =>
        dataset.Counts.Where(c => c.Split == split && (factor is null || c.Factor == factor)).Sum(c => c.Examples);
}

/// <summary>Where training data comes from: trace-generator's datasets API (a test double in tests).</summary>
public interface IDatasetSource
{
    /// <summary>The dataset, or null when trace-generator does not know it.</summary>
    Task<DatasetSummary?> DescribeAsync(Guid datasetId, CancellationToken cancellationToken);

    /// <summary>Every example of a split (and factor, when given), in the server's stable order.</summary>
    Task<IReadOnlyList<StepExampleRecord>> ExamplesAsync(Guid datasetId, string split, string? factor, CancellationToken cancellationToken);

    /// <summary>Registry text of the split's trials for pretraining (never results), one document per trial.</summary>
    Task<IReadOnlyList<string>> CorpusAsync(Guid datasetId, string split, CancellationToken cancellationToken);

    /// <summary>Every prompt with a verifiable answer of a split (grpo jobs), in the server's stable order.</summary>
    Task<IReadOnlyList<VerifiablePromptRecord>> PromptsAsync(Guid datasetId, string split, CancellationToken cancellationToken);
}
