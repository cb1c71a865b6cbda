using DeepImagine.Pairs;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Tests;

public sealed class Batching_concurrent_predictions
{
    private static readonly PredictionTarget[] Targets =
    [
        Knowledge.Target(),
        new(Knowledge.Item("NCT09999991", "Fluticasone", "Change in FEV1", null, dose: "100 mcg", timeFrame: "Week 24")),
        new(Knowledge.Item("NCT09999992", "Montelukast", "Asthma exacerbation rate", null, timeFrame: "Week 52")),
        new(Knowledge.Item("NCT09999993", "Budesonide", "Asthma exacerbation rate", null, dose: "800 mcg")),
    ];

    private static PredictionEngine Engine(OperatorRegistry registry) =>
        new(new InMemoryAnchorSource(Knowledge.Anchors()), registry, new PredictorOptions { BaseModel = TinyOperators.BaseName, MaxNewTokens = 10 });

    private static async Task<List<QuestionPrediction>> OneByOneAsync(OperatorRegistry registry)
    {
        var predictions = new List<QuestionPrediction>();
        foreach (var target in Targets) predictions.Add(await Engine(registry).PredictAsync(target, 1, CancellationToken.None));
        return predictions;
    }

    /// <summary>Every target at once: the scheduler is held until all of them wait, so their steps can share batches.</summary>
    private static async Task<QuestionPrediction[]> AllAtOnceAsync(OperatorRegistry registry)
    {
        await registry.AcquireAsync(CancellationToken.None).ContinueWith(t => t.Result.Dispose()); // load before the clients start
        Task<QuestionPrediction[]> running;
        using (registry.Steps.Hold())
        {
            running = Task.WhenAll(Targets.Select(t => Task.Run(() => Engine(registry).PredictAsync(t, 1, CancellationToken.None))));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (registry.Steps.Waiting < Targets.Length && !running.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
        }
        return await running;
    }

    [Fact]
    public async Task Give_the_answers_of_running_one_by_one_in_fewer_batches()
    {
        using var store = new TinyOperators(withBase: true, Factors.Arm);
        using var alone = new OperatorRegistry(store.Store, TinyOperators.BaseName);
        using var together = new OperatorRegistry(store.Store, TinyOperators.BaseName);

        var oneByOne = await OneByOneAsync(alone);
        var concurrent = await AllAtOnceAsync(together);

        for (var i = 0; i < Targets.Length; i++)
        {
            Assert.Equal(oneByOne[i].Probabilities, concurrent[i].Probabilities, (a, b) => Math.Abs(a - b) < 1e-3);
            Assert.Equal(oneByOne[i].Chains.SelectMany(c => c.Steps).Select(s => (s.Factor, s.Result)),
                concurrent[i].Chains.SelectMany(c => c.Steps).Select(s => (s.Factor, s.Result)));
        }
        Assert.True(together.Steps.RowsRun <= alone.Steps.RowsRun, $"rows {together.Steps.RowsRun} vs {alone.Steps.RowsRun}"); // identical steps are read once
        Assert.True(together.Steps.BatchesRun < alone.Steps.BatchesRun, $"batches together {together.Steps.BatchesRun}, one by one {alone.Steps.BatchesRun}");
    }

    [Fact]
    public async Task Never_put_more_rows_in_one_batch_than_the_bound()
    {
        using var store = new TinyOperators(withBase: true);
        using var registry = new OperatorRegistry(store.Store, TinyOperators.BaseName, maxBatchRows: 1);

        var predictions = await Task.WhenAll(Targets.Select(t => Task.Run(() => Engine(registry).PredictAsync(t, 1, CancellationToken.None))));

        Assert.All(predictions, p => Assert.NotEmpty(p.Chains));
        // A hand-in is never split: with a bound of 1 every hand-in runs alone, however many wait.
        Assert.True(registry.Steps.BatchesRun >= predictions.Sum(p => p.Chains.SelectMany(c => c.Steps).Select(s => s.Factor).Distinct().Count()));
    }

    [Fact]
    public async Task Give_the_answers_of_one_worker_with_two_batches_running_at_once()
    {
        using var store = new TinyOperators(withBase: true, Factors.Arm);
        using var one = new OperatorRegistry(store.Store, TinyOperators.BaseName, maxBatchRows: 2);
        using var two = new OperatorRegistry(store.Store, TinyOperators.BaseName, maxBatchRows: 2, inferenceWorkers: 2);
        Assert.Equal(2, two.Steps.Workers);

        var sequential = await OneByOneAsync(one);
        // Small batches and every target at once: several batches are in flight, on two threads sharing one model.
        var concurrent = await AllAtOnceAsync(two);
        Assert.Equal(2, two.Steps.PeakRunning);
        Assert.Equal(1, one.Steps.PeakRunning);

        for (var i = 0; i < Targets.Length; i++)
        {
            Assert.Equal(sequential[i].Probabilities, concurrent[i].Probabilities, (a, b) => Math.Abs(a - b) < 1e-3);
            Assert.Equal(sequential[i].Chains.SelectMany(c => c.Steps).Select(s => (s.Factor, s.Trace, s.Result)),
                concurrent[i].Chains.SelectMany(c => c.Steps).Select(s => (s.Factor, s.Trace, s.Result)));
        }
    }
}
