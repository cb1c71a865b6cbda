using System.Globalization;
using System.Text;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Engine;

/// <summary>Engine settings (section <c>Predictor</c>).</summary>
public sealed class PredictorOptions
{
    public const string SectionName = "Predictor";

    /// <summary>Anchors per question.</summary>
    public int Anchors { get; set; } = 7;

    /// <summary>Candidates the knowledge store returns before ranking.</summary>
    public int Candidates { get; set; } = 50;

    /// <summary>The order factors are changed in along a path; empty means <see cref="PathPlanner.DefaultOrder"/>.</summary>
    /// <remarks>Empty by default: configuration binding appends to a list, so a pre-filled one would double.</remarks>
    public List<string> FactorOrder { get; set; } = [];

    public IReadOnlyList<string> Order => FactorOrder.Count == 0 ? PathPlanner.DefaultOrder : FactorOrder;

    /// <summary>Upper bound on one step's trace and RESULT line, in tokens.</summary>
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Most step rows (chains × concurrent predictions) run in one batch by the step scheduler.</summary>
    public int MaxBatchRows { get; set; } = StepScheduler.DefaultMaxBatchRows;

    /// <summary>
    /// Step batches run at once, each on its own thread with its share of the cores for torch. With a model this small,
    /// two batches on one core each beat one batch on two (measured in docs/benchmarks.md).
    /// </summary>
    public int InferenceWorkers { get; set; } = 2;

    /// <summary>The base model whose operators are used (<c>make train</c>'s name).</summary>
    public string BaseModel { get; set; } = "deepimagine-base";

    /// <summary>The model store (default: gpu-learner's, <c>~/.deepimagine/model-store</c>).</summary>
    public string? ModelStore { get; set; }

    public string ResolvedModelStore() => string.IsNullOrWhiteSpace(ModelStore)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".deepimagine", "model-store")
        : ModelStore;

    public void Validate()
    {
        if (Anchors is < 1 or > 64) throw new ArgumentException($"Predictor:Anchors is {Anchors}; use 1 to 64");
        if (Candidates < Anchors) throw new ArgumentException($"Predictor:Candidates ({Candidates}) must be at least Predictor:Anchors ({Anchors})");
        if (MaxBatchRows is < 1 or > 4096) throw new ArgumentException($"Predictor:MaxBatchRows is {MaxBatchRows}; use 1 to 4096");
        if (InferenceWorkers is < 1 or > 16) throw new ArgumentException($"Predictor:InferenceWorkers is {InferenceWorkers}; use 1 to 16");
        if (MaxNewTokens is < 8 or > 1024) throw new ArgumentException($"Predictor:MaxNewTokens is {MaxNewTokens}; use 8 to 1024");
        PathPlanner.ValidateOrder(Order, "Predictor:FactorOrder");
    }
}

/// <summary>One imagined step of a chain.</summary>
public sealed record ChainStep(string Factor, string From, string To, string Trace, string Result, StepDistribution Distribution, OutcomeState State);

/// <summary>An anchor's chain: its known start, every step, its final state, and the option probabilities it gives.</summary>
public sealed record AnchorChain(string AnchorId, string AnchorNctId, double Similarity, string StartAnswer, OutcomeState Start,
    IReadOnlyList<ChainStep> Steps, IReadOnlyList<SkippedFactor> SkippedFactors, OutcomeState Final, double[] Probabilities);

/// <summary>An anchor that was retrieved but gave no chain, and why.</summary>
public sealed record SkippedAnchor(string AnchorId, string Reason);

/// <summary>The prediction of one question.</summary>
public sealed record QuestionPrediction(
    string NctId,
    string EndpointKey,
    int QuestionIndex,
    string QuestionClass,
    double[] Probabilities,
    string Output,
    IReadOnlyList<AnchorChain> Chains,
    IReadOnlyList<SkippedAnchor> SkippedAnchors,
    IReadOnlyDictionary<string, string> ModelVersions,
    string? FallbackReason)
{
    /// <summary>Where the time went: retrieval, batched generation, RESULT-line scoring (ms), generated tokens, batches.</summary>
    public StepTimings? Timings { get; init; }
}

/// <summary>
/// Successive counterfactual imagination (DESIGN.md, "The method"): for a target question, k anchors with known answers;
/// per anchor the path of differing factors; along every path one step per factor through that factor's operator, all
/// chains' steps of a factor batched together, the state carried forward; the final states weighted by similarity.
/// Without a usable anchor (or without operators) the answer is the class prior, with the reason.
/// </summary>
public sealed class PredictionEngine(IAnchorSource anchors, OperatorRegistry operators, PredictorOptions options)
{
    public PredictorOptions Options { get; } = options;

    public async Task<IReadOnlyList<QuestionPrediction>> PredictAsync(PredictionTarget target, CancellationToken cancellationToken)
    {
        // Concurrently: the questions of one endpoint usually walk the same chains, so their steps meet in one batch
        // (the step scheduler reads an identical step once).
        // The anchors depend on the target alone: retrieved once for all its questions.
        var retrieval = RetrieveAsync(target, cancellationToken);
        return await Task.WhenAll(Enumerable.Range(0, target.Item.Questions.Count).Select(i => PredictAsync(target, i, retrieval, cancellationToken)));
    }

    public Task<QuestionPrediction> PredictAsync(PredictionTarget target, int questionIndex, CancellationToken cancellationToken) =>
        PredictAsync(target, questionIndex, RetrieveAsync(target, cancellationToken), cancellationToken);

    private async Task<(IReadOnlyList<RankedAnchor> Ranked, double Milliseconds)> RetrieveAsync(PredictionTarget target, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var candidates = await anchors.CandidatesAsync(target, Options.Candidates, cancellationToken);
        return (AnchorRanking.Rank(target, candidates, Options.Anchors), clock.Elapsed.TotalMilliseconds);
    }

    private async Task<QuestionPrediction> PredictAsync(PredictionTarget target, int questionIndex, Task<(IReadOnlyList<RankedAnchor> Ranked, double Milliseconds)> retrieval, CancellationToken cancellationToken)
    {
        var arms = QuestionArms.Read(target.Item, questionIndex);
        var optionCount = target.Item.Questions[questionIndex].Options.Count;
        var timings = new StepTimings();
        var (ranked, retrievalMs) = await retrieval;
        timings.RetrievalMs = retrievalMs;
        var skipped = new List<SkippedAnchor>();
        var planned = new List<PlannedChain>();
        foreach (var anchor in ranked)
        {
            var plan = Plan(anchor, target, arms, out var reason);
            if (plan is null) skipped.Add(new SkippedAnchor(anchor.Knowledge.AnchorId, reason!));
            else planned.Add(plan);
        }

        var prior = await anchors.ClassPriorAsync(arms.QuestionClass, optionCount, cancellationToken);
        if (planned.Count == 0)
        {
            var why = ranked.Count == 0 ? "no anchor with known answers is similar enough (or all are the target or after its cutoff)" : $"none of the {ranked.Count} anchors gave a chain";
            return Fallback(target, questionIndex, arms.QuestionClass, prior, why, skipped, new Dictionary<string, string>());
        }

        using var lease = await operators.AcquireAsync(cancellationToken);
        if (lease.Set is null)
            return Fallback(target, questionIndex, arms.QuestionClass, prior, $"the model store has no '{operators.BaseName}' model to imagine with", skipped, new Dictionary<string, string>());
        var versions = lease.Set.Versions;
        var chains = await ImagineAsync(lease.Set, planned, optionCount, timings, cancellationToken);

        var finals = chains.Select(c => c.Final.ToOptions(optionCount)).ToList();
        var weights = chains.Select(c => Math.Max(c.Similarity, 1e-6)).ToList();
        var probabilities = OutcomeState.Normalised(Enumerable.Range(0, optionCount).Select(o => finals.Select((f, i) => f[o] * weights[i]).Sum()).ToArray());
        var output = Output(target, questionIndex, chains, skipped, probabilities, null);
        return new QuestionPrediction(target.NctId, target.Item.EndpointKey, questionIndex, arms.QuestionClass, probabilities, output, chains, skipped, versions, null)
        {
            Timings = timings,
        };
    }

    private QuestionPrediction Fallback(PredictionTarget target, int questionIndex, string cls, double[] prior, string reason,
        IReadOnlyList<SkippedAnchor> skipped, IReadOnlyDictionary<string, string> versions) =>
        new(target.NctId, target.Item.EndpointKey, questionIndex, cls, prior, Output(target, questionIndex, [], skipped, prior, reason), [], skipped, versions, reason);

    private sealed record PlannedChain(RankedAnchor Anchor, QuestionArms AnchorArms, string StartAnswer, OutcomeState Start, AnchorPath Path, bool? HigherIsBetter);

    /// <summary>The anchor's start state (its answer to its most informative question) and its path, or null with the reason.</summary>
    private PlannedChain? Plan(RankedAnchor anchor, PredictionTarget target, QuestionArms targetArms, out string? reason)
    {
        var item = anchor.Knowledge.Item;
        var answered = item.Questions.Select((q, i) => (Question: q, Index: i)).Where(q => q.Question.AnswerIndex is not null).ToList();
        // Prefer the target's own class, then the one that tells most (3-way says which side is better).
        var chosen = answered
            .Select(q => (q.Question, q.Index, Class: QuestionClasses.Of(item.MetaLabel, q.Question.Options.Count, anchor.Knowledge.AnchorId)))
            .OrderByDescending(q => q.Class == targetArms.QuestionClass)
            .ThenByDescending(q => q.Class == QuestionClasses.ThreeWay)
            .ThenBy(q => q.Index)
            .FirstOrDefault();
        if (chosen.Question is null)
        {
            reason = "no question with a known answer";
            return null;
        }
        var anchorArms = QuestionArms.Read(item, chosen.Index);
        var anchorSide = PathPlanner.Side(item, anchor.Knowledge.Trial, anchorArms.X);
        var targetSide = PathPlanner.Side(target.Item, target.Trial, targetArms.X);
        if (string.IsNullOrWhiteSpace(anchorSide.Side.OutcomeTitle))
        {
            reason = "the anchor's endpoint has no measure title (no result state to start from)";
            return null;
        }
        var path = PathPlanner.Plan(anchorSide, targetSide, Options.Order);
        reason = null;
        var higherIsBetter = DirectionLabeler.HigherIsBetter(item.Endpoint.Measure ?? "", null).HigherIsBetter;
        return new PlannedChain(anchor, anchorArms, $"question {chosen.Index} ({chosen.Class}): option {chosen.Question.AnswerIndex} \"{chosen.Question.Options[chosen.Question.AnswerIndex!.Value]}\"",
            OutcomeState.FromAnswer(chosen.Class, chosen.Question.AnswerIndex!.Value), path, higherIsBetter);
    }

    /// <summary>
    /// Walks all chains factor by factor: the steps of every chain that changes this factor run as one batch on its
    /// operator, together with the steps other predictions have waiting on it (<see cref="StepScheduler"/>).
    /// </summary>
    private async Task<List<AnchorChain>> ImagineAsync(OperatorSet set, IReadOnlyList<PlannedChain> planned, int optionCount, StepTimings timings, CancellationToken cancellationToken)
    {
        var states = planned.Select(p => p.Start).ToArray();
        var steps = planned.Select(_ => new List<ChainStep>()).ToArray();
        foreach (var factor in Options.Order)
        {
            var batch = planned.Select((p, i) => (Chain: i, Step: p.Path.Steps.FirstOrDefault(s => s.Factor == factor)))
                .Where(x => x.Step is not null).ToList();
            if (batch.Count == 0) continue;
            var prompts = batch.Select(x => StepFormat.BuildPrompt(RenderState(planned[x.Chain], states[x.Chain]), x.Step!)).ToList();
            var outputs = await operators.Steps.RunAsync(set.For(factor), prompts, Options.MaxNewTokens, timings, cancellationToken);
            for (var b = 0; b < batch.Count; b++)
            {
                var (chain, step) = batch[b];
                var output = outputs[b];
                states[chain] = states[chain].Apply(output.Distribution, planned[chain].HigherIsBetter);
                var result = output.Parsed.IsParseable ? StepAnswer.ResultLine(output.Parsed) : $"unparseable ({output.Parsed.Error})";
                steps[chain].Add(new ChainStep(factor, step!.From, step.To, StepAnswer.Trace(output.Completion), result, output.Distribution, states[chain]));
            }
        }
        return planned.Select((p, i) => new AnchorChain(p.Anchor.Knowledge.AnchorId, p.Anchor.Knowledge.Item.NctId, p.Anchor.Similarity, p.StartAnswer,
            p.Start, steps[i], p.Path.Skipped, states[i], states[i].ToOptions(optionCount))).ToList();
    }

    /// <summary>The current state as the step format shows it: arm X against comparator Y on the anchor's endpoint, most likely outcome.</summary>
    private static ResultState RenderState(PlannedChain chain, OutcomeState state)
    {
        var item = chain.Anchor.Knowledge.Item;
        var arms = chain.AnchorArms;
        var mostLikely = state.XBetter >= state.YBetter && state.XBetter >= state.NoDifference ? 0 : state.YBetter >= state.NoDifference ? 1 : 2;
        var direction = mostLikely == 2 || chain.HigherIsBetter is not { } better
            ? (mostLikely == 2 ? ResultDirection.Same : ResultDirection.Unknown)
            : (mostLikely == 0) == better ? ResultDirection.Higher : ResultDirection.Lower;
        return new ResultState
        {
            OutcomeMeasure = item.Endpoint.Measure!,
            TimeFrame = item.Endpoint.TimeFrame,
            Arm = Arm(arms.X),
            Comparator = arms.Y is null ? null : Arm(arms.Y),
            DifferenceDirection = arms.Y is null ? ResultDirection.Unknown : direction,
            DifferenceSignificant = arms.Y is null ? null : mostLikely != 2,
            EndpointMet = arms.Y is null ? mostLikely == 0 : null,
            HigherIsBetter = chain.HigherIsBetter,
            Conditions = chain.Anchor.Knowledge.Trial?.Conditions ?? [],
        };
    }

    private static ArmResult Arm(CtOpenArm arm) => new()
    {
        Label = arm.Label ?? "arm",
        Interventions = (arm.Interventions ?? []).Where(i => !string.IsNullOrWhiteSpace(i.Name) && !Trials.Normalize.IsPlacebo(i.Name, i.Type)).Select(i => i.Name!).ToList(),
        // The comparison is known, the arm's own value is not kept with the answer.
        ValueText = "not reported",
    };

    /// <summary>The readable prediction: each chain, then the DECISION line the benchmark reads.</summary>
    private static string Output(PredictionTarget target, int questionIndex, IReadOnlyList<AnchorChain> chains, IReadOnlyList<SkippedAnchor> skipped, double[] probabilities, string? fallback)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Target {target.NctId}, endpoint \"{target.Item.Endpoint.Measure}\", question {questionIndex}.\n");
        if (fallback is not null) text.Append("No imagined chain: ").Append(fallback).Append("; the class prior is given.\n");
        foreach (var chain in chains)
        {
            text.Append(CultureInfo.InvariantCulture, $"Anchor {chain.AnchorId} (similarity {chain.Similarity:0.###}): known {chain.StartAnswer}.\n");
            foreach (var step in chain.Steps)
                text.Append(CultureInfo.InvariantCulture, $"- {step.Factor}: {step.From} -> {step.To}: {step.Result}; {step.Distribution}; state {step.State}\n");
            foreach (var s in chain.SkippedFactors) text.Append(CultureInfo.InvariantCulture, $"- {s.Factor} not imagined: {s.Reason}\n");
            text.Append(CultureInfo.InvariantCulture, $"  final state {chain.Final}\n");
        }
        foreach (var s in skipped) text.Append(CultureInfo.InvariantCulture, $"Anchor {s.AnchorId} skipped: {s.Reason}\n");
        text.Append("DECISION: (").Append(string.Join(", ", probabilities.Select(p => p.ToString("0.####", CultureInfo.InvariantCulture)))).Append(')');
        return text.ToString();
    }
}
