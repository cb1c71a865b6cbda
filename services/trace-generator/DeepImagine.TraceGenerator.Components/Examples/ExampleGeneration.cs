using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.TraceGenerator.Data;
using DeepImagine.TraceGenerator.PairMiner;
using DeepImagine.TraceGenerator.Prompts;
using DeepImagine.TraceGenerator.Teaching;
using DeepImagine.Trials;
using Microsoft.Extensions.Logging;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>What one mined trial gave the dataset: step examples (<paramref name="Added"/> new) and verifiable prompts (<paramref name="PromptsAdded"/> new).</summary>
public sealed record GenerationOutcome(Guid DatasetId, string DatasetName, int Pairs, int Steps, int Added, IReadOnlyList<DatasetCount> Counts, int PromptsAdded = 0);

/// <summary>
/// Turns the new pairs of one mined trial into step examples of the configured dataset: reads exactly those pairs
/// (<c>PairsMined.NewPairIds</c>) and their trials from pair-miner, records each trial's split and registry text, maps every pair to its steps (A→B, B→A), writes a
/// trace for each step not stored yet (the external teacher when enabled and agreeing, else the grounded teacher) and
/// stores them. It also stores the dataset's verifiable prompts (<see cref="VerifiablePrompts"/>): the steps of the
/// approximate pairs, and the questions the mined trial's own reported analyses answer (the trial is read even when the
/// mining found no new pair). Running it twice for the same pairs adds nothing the second time.
/// </summary>
public sealed class ExampleGeneration(
    IPairMinerReader pairMiner,
    DatasetRepository repository,
    PromptRepository promptRepository,
    TraceGenerationOptions options,
    ILogger<ExampleGeneration> logger,
    ExternalTeacher? externalTeacher = null)
{
    public async Task<GenerationOutcome> GenerateAsync(string trialId, IReadOnlyList<long> pairIds, CancellationToken cancellationToken)
    {
        var datasetId = await repository.EnsureDatasetAsync(options.DatasetName, StepFormat.TemplateVersion, cancellationToken);
        var pairs = pairIds.Count == 0 ? [] : await pairMiner.GetPairsAsync(pairIds, cancellationToken);

        var trials = new Dictionary<string, Trial>(StringComparer.Ordinal);
        foreach (var id in pairs.SelectMany(p => new[] { p.Pair.A.TrialId, p.Pair.B.TrialId }).Distinct(StringComparer.Ordinal))
        {
            // A trial pair-miner no longer serves (removed since) only loses the steps that need its registry fields.
            if (await pairMiner.GetTrialAsync(id, cancellationToken) is { } trial) trials[id] = trial;
        }
        await repository.AddTrialsAsync(datasetId, trials.Values.Select(t => new SeenTrial(t.TrialId, TrialSplit.Of(t.TrialId), RegistryText.Of(t))).ToList(), cancellationToken);

        var candidates = new List<(PairStep Step, Guid Id, string PairKey, string Split, IReadOnlyList<string> TrialIds)>();
        var noStep = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var mined in pairs)
        {
            var pair = mined.Pair;
            var steps = PairSteps.FromPair(pair, trials.GetValueOrDefault(pair.A.TrialId), trials.GetValueOrDefault(pair.B.TrialId));
            if (steps.Count == 0)
            {
                var reason = pair.Factors.Count != 1 ? "several factors" : pair.Direction.Direction == Pairs.DirectionLabel.Incomparable ? "incomparable" : "not describable";
                noStep[reason] = noStep.GetValueOrDefault(reason) + 1;
                continue;
            }
            IReadOnlyList<string> trialIds = new[] { pair.A.TrialId, pair.B.TrialId }.Distinct(StringComparer.Ordinal).ToList();
            var split = TrialSplit.OfExample(trialIds);
            var key = pair.Key;
            candidates.AddRange(steps.Select(s => (s, StepExample.IdOf(datasetId, key, s.Orientation), key, split, trialIds)));
        }

        // Questions need the whole trial (its reported analyses), read from pair-miner's API like the pairs' trials.
        var minedTrial = trials.GetValueOrDefault(trialId) ?? await pairMiner.GetTrialAsync(trialId, cancellationToken);
        var prompts = pairs.SelectMany(p => VerifiablePrompts.FromApproximatePair(datasetId, p.Pair, trials.GetValueOrDefault(p.Pair.A.TrialId), trials.GetValueOrDefault(p.Pair.B.TrialId)))
            .Concat(minedTrial is null ? [] : VerifiablePrompts.FromTrial(datasetId, minedTrial))
            .ToList();
        var promptsAdded = await promptRepository.AddPromptsAsync(prompts, cancellationToken);

        var existing = await repository.ExistingAsync(candidates.Select(c => c.Id).ToList(), cancellationToken);
        var examples = new List<StepExample>();
        foreach (var c in candidates.Where(c => !existing.Contains(c.Id)).DistinctBy(c => c.Id))
        {
            var trace = await TraceAsync(datasetId, c.PairKey, c.Step, cancellationToken);
            examples.Add(new StepExample(c.Id, datasetId, c.PairKey, c.Step, c.Split, c.TrialIds, c.Step.Prompt, trace));
        }
        var added = await repository.AddExamplesAsync(examples, cancellationToken);
        logger.LogInformation("trial {TrialId}: {Pairs} pairs, {Steps} steps, {Added} new examples, {PromptsAdded} new verifiable prompts of {Prompts} in dataset {Dataset}; pairs without a step: {NoStep}",
            trialId, pairs.Count, candidates.Count, added, promptsAdded, prompts.Count, options.DatasetName, string.Join(", ", noStep.Select(kv => $"{kv.Key}={kv.Value}")));
        var counts = await repository.CountsAsync(datasetId, cancellationToken);
        return new GenerationOutcome(datasetId, options.DatasetName, pairs.Count, candidates.Count, added, counts, promptsAdded);
    }

    private async Task<StepTrace> TraceAsync(Guid datasetId, string pairKey, PairStep step, CancellationToken cancellationToken)
    {
        if (externalTeacher is not null)
        {
            var attempt = await externalTeacher.TryAsync(step, cancellationToken);
            if (attempt.Trace is { } external) return external;
            await repository.AddRefusalAsync(datasetId, pairKey, step.Orientation, externalTeacher.SourceName, attempt.Refusal ?? "no trace", cancellationToken);
        }
        return GroundedTeacher.Write(step);
    }
}
