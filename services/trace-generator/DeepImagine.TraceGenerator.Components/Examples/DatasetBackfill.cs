using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.PairMiner;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>What one backfill run did: trials walked in this run, examples added, and whether the dataset is now complete.</summary>
public sealed record BackfillOutcome(Guid DatasetId, int Trials, int Added, int PromptsAdded, bool Completed);

/// <summary>
/// Fills the configured dataset from every trial pair-miner already stores, through its read API (trial ids page by page,
/// each trial's pairs), with the same <see cref="ExampleGeneration"/> as <c>PairsMined</c>. Needed because a new template
/// version starts a new dataset, and trials mined before it existed are never announced again. Resumable: the last trial
/// done is saved after each page, so a restart continues there; once complete it does nothing. Idempotent like the
/// consumer, so running beside new minings adds each example once.
/// </summary>
public sealed class DatasetBackfill(IPairMinerReader pairMiner, DatasetRepository repository, ExampleGeneration generation,
    TraceGenerationOptions options, ILogger<DatasetBackfill> logger)
{
    public const int TrialsPerPage = 100;

    public async Task<BackfillOutcome> RunAsync(CancellationToken cancellationToken, int trialsPerPage = TrialsPerPage)
    {
        var datasetId = await repository.EnsureDatasetAsync(options.DatasetName, StepFormat.TemplateVersion, cancellationToken);
        return await repository.WithBackfillLockAsync(datasetId, async () =>
        {
            var (cursor, done, completed) = await repository.BackfillStateAsync(datasetId, cancellationToken);
            if (completed) return new BackfillOutcome(datasetId, 0, 0, 0, true);
            int trials = 0, added = 0, prompts = 0;
            while (true)
            {
                var page = await pairMiner.GetTrialIdsAsync(cursor, trialsPerPage, cancellationToken);
                foreach (var trialId in page.TrialIds)
                {
                    var pairIds = await pairMiner.GetTrialPairIdsAsync(trialId, cancellationToken);
                    var outcome = await generation.GenerateAsync(trialId, pairIds, cancellationToken);
                    added += outcome.Added;
                    prompts += outcome.PromptsAdded;
                }
                trials += page.TrialIds.Count;
                if (page.TrialIds.Count > 0) cursor = page.TrialIds[^1];
                var last = page.Next is null;
                await repository.SaveBackfillAsync(datasetId, cursor, done + trials, last, cancellationToken);
                if (last) break;
            }
            logger.LogInformation("dataset {Dataset} backfilled from pair-miner: {Trials} trials, {Added} new examples, {Prompts} new verifiable prompts",
                options.DatasetName, trials, added, prompts);
            return new BackfillOutcome(datasetId, trials, added, prompts, true);
        }, cancellationToken);
    }
}

/// <summary>
/// Runs <see cref="DatasetBackfill"/> once at start-up, in the background (the service serves and consumes meanwhile),
/// retrying while pair-miner or the database is away, and announces the dataset when the backfill added examples.
/// Off with <c>TraceGeneration__Backfill=false</c>.
/// </summary>
public sealed class DatasetBackfillService(IServiceScopeFactory scopes, IBus bus, ILogger<DatasetBackfillService> logger) : BackgroundService
{
    private static readonly TimeSpan[] Waits = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var outcome = await scope.ServiceProvider.GetRequiredService<DatasetBackfill>().RunAsync(stoppingToken);
                if (outcome.Added > 0)
                {
                    var repository = scope.ServiceProvider.GetRequiredService<DatasetRepository>();
                    var options = scope.ServiceProvider.GetRequiredService<TraceGenerationOptions>();
                    var counts = await repository.CountsAsync(outcome.DatasetId, stoppingToken);
                    await bus.Publish(new SftExamplesReady(outcome.DatasetId, options.DatasetName, StepFormat.TemplateVersion, counts, NewId.NextGuid()), stoppingToken);
                }
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var wait = Waits[Math.Min(attempt, Waits.Length - 1)];
                logger.LogWarning(ex, "dataset backfill failed (attempt {Attempt}); trying again in {Wait}", attempt + 1, wait);
                await Task.Delay(wait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
