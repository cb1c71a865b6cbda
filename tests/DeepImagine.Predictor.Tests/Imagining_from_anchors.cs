using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Tests;

public sealed class Imagining_from_anchors : IClassFixture<Imagining_from_anchors.Store>
{
    /// <summary>One store for the class: a base and operators for arm and dose (outcome falls back to the base).</summary>
    public sealed class Store : IDisposable
    {
        public TinyOperators Operators { get; } = new(withBase: true, Factors.Arm, Factors.Dose);
        public OperatorRegistry Registry { get; }

        public Store() => Registry = new OperatorRegistry(Operators.Store, TinyOperators.BaseName);

        public void Dispose()
        {
            Registry.Dispose();
            Operators.Dispose();
        }
    }

    private readonly Store store;

    public Imagining_from_anchors(Store store) => this.store = store;

    private PredictionEngine Engine(IReadOnlyList<KnowledgeItem> knowledge, int k = 7, List<string>? order = null) =>
        new(new InMemoryAnchorSource(knowledge), store.Registry, new PredictorOptions
        {
            Anchors = k,
            MaxNewTokens = 12,
            BaseModel = TinyOperators.BaseName,
            FactorOrder = order ?? [.. PathPlanner.DefaultOrder],
        });

    [Fact]
    public async Task Gives_one_probability_per_option_summing_to_one_with_chains_and_a_decision_line()
    {
        var target = Knowledge.Target();
        var predictions = await Engine(Knowledge.Anchors()).PredictAsync(target, CancellationToken.None);

        Assert.Equal(2, predictions.Count);
        Assert.Equal([2, 3], predictions.Select(p => p.Probabilities.Length));
        foreach (var p in predictions)
        {
            Assert.Null(p.FallbackReason);
            Assert.Equal(1.0, p.Probabilities.Sum(), 9);
            Assert.All(p.Probabilities, x => Assert.InRange(x, 0, 1));
            Assert.NotEmpty(p.Chains);
            Assert.Contains(p.Chains, c => c.Steps.Count > 0);
            Assert.All(p.Chains.SelectMany(c => c.Steps), s => Assert.Contains(s.Factor, Factors.All));
            Assert.Matches(@"\nDECISION: \([0-9.]+(, [0-9.]+){1,2}\)$", p.Output);
            Assert.Equal($"{TinyOperators.BaseName}-arm@v1 (on {TinyOperators.BaseName}@v1)", p.ModelVersions[Factors.Arm]);
            Assert.Equal($"{TinyOperators.BaseName}@v1", p.ModelVersions[Factors.Outcome]);
        }
    }

    [Fact]
    public async Task Walks_the_differing_factors_in_the_configured_order()
    {
        // Anchor: Montelukast 10 mg on FEV1 at week 12; target: Budesonide 200 mcg at week 24 → arm and outcome differ.
        var anchor = Knowledge.Anchors().Where(a => a.Item.NctId == "NCT00000004").ToList();
        var target = Knowledge.Target();

        var byDefault = await Engine(anchor).PredictAsync(target, 1, CancellationToken.None);
        Assert.Equal([Factors.Arm, Factors.Outcome], byDefault.Chains.Single().Steps.Select(s => s.Factor));

        List<string> reversed = [Factors.Outcome, Factors.Dose, Factors.Arm, Factors.Geography, Factors.Population, Factors.Design];
        var outcomeFirst = await Engine(anchor, order: reversed).PredictAsync(target, 1, CancellationToken.None);
        Assert.Equal([Factors.Outcome, Factors.Arm], outcomeFirst.Chains.Single().Steps.Select(s => s.Factor));
        Assert.Contains("Week 24", outcomeFirst.Chains.Single().Steps[0].To);
    }

    [Fact]
    public async Task Dose_steps_appear_when_the_same_intervention_has_another_dose()
    {
        var anchor = Knowledge.Anchors().Where(a => a.Item.NctId == "NCT00000005").ToList(); // Budesonide 400 mcg, week 12
        var chain = (await Engine(anchor).PredictAsync(Knowledge.Target(), 1, CancellationToken.None)).Chains.Single();
        Assert.Equal([Factors.Dose, Factors.Outcome], chain.Steps.Select(s => s.Factor));
        Assert.Contains("400", chain.Steps[0].From);
        Assert.Contains("200", chain.Steps[0].To);
    }

    [Fact]
    public async Task Never_takes_the_target_itself_nor_results_published_after_the_cutoff_as_anchors()
    {
        var target = Knowledge.Target("NCT00000001") with { Cutoff = new DateOnly(2024, 1, 1) };
        var knowledge = Knowledge.Anchors().Select(a => a.Item.NctId == "NCT00000002" ? a with { ResultsDate = new DateOnly(2024, 6, 1) } : a).ToList();

        var prediction = await Engine(knowledge).PredictAsync(target, 0, CancellationToken.None);

        var used = prediction.Chains.Select(c => c.AnchorNctId).Concat(prediction.SkippedAnchors.Select(s => s.AnchorId[..11])).ToList();
        Assert.DoesNotContain("NCT00000001", used);
        Assert.DoesNotContain("NCT00000002", used);
        Assert.Equal(3, prediction.Chains.Count);
    }

    [Fact]
    public async Task Batched_chains_reach_the_same_states_as_chains_run_one_by_one()
    {
        var target = Knowledge.Target();
        var knowledge = Knowledge.Anchors();
        var batched = await Engine(knowledge).PredictAsync(target, 1, CancellationToken.None);
        Assert.True(batched.Chains.Count >= 3);

        foreach (var chain in batched.Chains)
        {
            var alone = (await Engine(knowledge.Where(k => k.AnchorId == chain.AnchorId).ToList()).PredictAsync(target, 1, CancellationToken.None)).Chains.Single();
            Assert.Equal(chain.Steps.Select(s => (s.Factor, s.Trace, s.Result)), alone.Steps.Select(s => (s.Factor, s.Trace, s.Result)));
            Assert.Equal(chain.Final.Vector, alone.Final.Vector, (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }

    [Fact]
    public async Task Without_anchors_gives_the_class_prior_and_says_why()
    {
        var prediction = await Engine([]).PredictAsync(Knowledge.Target(), 1, CancellationToken.None);
        Assert.NotNull(prediction.FallbackReason);
        Assert.Empty(prediction.Chains);
        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], prediction.Probabilities, (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.Contains("class prior", prediction.Output);
        Assert.EndsWith("DECISION: (0.3333, 0.3333, 0.3333)", prediction.Output);
    }

    [Fact]
    public async Task Without_a_base_model_in_the_store_gives_the_class_prior_from_the_known_answers()
    {
        using var empty = new TinyOperators(withBase: false);
        using var registry = new OperatorRegistry(empty.Store, TinyOperators.BaseName);
        var engine = new PredictionEngine(new InMemoryAnchorSource(Knowledge.Anchors()), registry, new PredictorOptions { BaseModel = TinyOperators.BaseName });

        var prediction = await engine.PredictAsync(Knowledge.Target(), 1, CancellationToken.None);

        Assert.Contains("has no 'tiny-base' model", prediction.FallbackReason);
        // 3-way answers known: 0, 2, 1, 0, 2 → with one pseudo-count each: 3/8, 2/8, 3/8.
        Assert.Equal([3 / 8.0, 2 / 8.0, 3 / 8.0], prediction.Probabilities, (a, b) => Math.Abs(a - b) < 1e-9);
    }
}
