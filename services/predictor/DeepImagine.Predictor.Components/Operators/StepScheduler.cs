using DeepImagine.Imagining;

namespace DeepImagine.Predictor.Operators;

/// <summary>
/// Runs the steps of concurrent predictions together: each prediction hands in its chains' steps of one factor and
/// waits; a free worker (at most <see cref="Workers"/> run at once) takes the oldest waiting hand-in and every later one
/// on the same operator (same model, same token budget) up to <see cref="MaxBatchRows"/> rows, and runs them as one batch
/// (<see cref="StepRunner"/>).
/// Oldest first, so no prediction waits behind later ones; a hand-in is never split, so a prediction's steps of a
/// factor stay one batch as they would alone.
/// </summary>
public sealed class StepScheduler
{
    public const int DefaultMaxBatchRows = 64;
    private readonly object gate = new();
    private readonly LinkedList<Pending> waiting = new();
    private int working;
    private int holds;

    public StepScheduler(int maxBatchRows = DefaultMaxBatchRows, int workers = 1)
    {
        if (maxBatchRows < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchRows), maxBatchRows, "Predictor:MaxBatchRows must be at least 1");
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "Predictor:InferenceWorkers must be at least 1");
        MaxBatchRows = maxBatchRows;
        Workers = workers;
    }

    /// <summary>Batches run at once, each on its own thread.</summary>
    public int Workers { get; }

    /// <summary>Most batches that ran at once so far, for measurements.</summary>
    public int PeakRunning { get; private set; }

    private void StartedUnderLock(int workers)
    {
        working += workers;
        PeakRunning = Math.Max(PeakRunning, working);
    }

    public int MaxBatchRows { get; }

    /// <summary>Batches run so far and rows in them, for measurements.</summary>
    public long BatchesRun => Interlocked.Read(ref batchesRun);
    public long RowsRun => Interlocked.Read(ref rowsRun);

    /// <summary>Hand-ins waiting for a batch.</summary>
    public int Waiting
    {
        get { lock (gate) return waiting.Count; }
    }

    /// <summary>
    /// Holds every batch back until the returned handle is disposed, so hand-ins arriving meanwhile run together
    /// (a deterministic way to show batching, which otherwise depends on arrival timing).
    /// </summary>
    public IDisposable Hold()
    {
        lock (gate) holds++;
        return new Release(this);
    }

    private sealed class Release(StepScheduler scheduler) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 1) return;
            int start;
            lock (scheduler.gate)
            {
                scheduler.holds--;
                start = scheduler.holds == 0 ? Math.Min(scheduler.Workers - scheduler.working, scheduler.waiting.Count) : 0;
                scheduler.StartedUnderLock(start);
            }
            for (var i = 0; i < start; i++) _ = Task.Run(scheduler.Work, CancellationToken.None);
        }
    }
    private long batchesRun;
    private long rowsRun;

    public Task<IReadOnlyList<StepOutput>> RunAsync(StepOperator op, IReadOnlyList<StepPrompt> prompts, int maxNewTokens, StepTimings? timings, CancellationToken cancellationToken)
    {
        if (prompts.Count == 0) return Task.FromResult<IReadOnlyList<StepOutput>>([]);
        var pending = new Pending(op, prompts, maxNewTokens, timings, cancellationToken);
        bool start;
        lock (gate)
        {
            waiting.AddLast(pending);
            start = working < Workers && holds == 0;
            if (start) StartedUnderLock(1);
        }
        // Inference runs off the callers' threads, at most Workers batches at once (each with its share of the cores).
        if (start) _ = Task.Run(Work, CancellationToken.None);
        return pending.Completion.Task;
    }

    private void Work()
    {
        while (true)
        {
            List<Pending> batch;
            lock (gate)
            {
                batch = holds == 0 ? TakeBatch() : [];
                if (batch.Count == 0)
                {
                    working--;
                    return;
                }
            }
            Run(batch);
        }
    }

    /// <summary>The oldest live hand-in and the later ones that share its operator and budget, within the row bound (under the lock).</summary>
    private List<Pending> TakeBatch()
    {
        var batch = new List<Pending>();
        var rows = 0;
        for (var node = waiting.First; node is not null;)
        {
            var next = node.Next;
            var p = node.Value;
            if (p.CancellationToken.IsCancellationRequested)
            {
                waiting.Remove(node);
                p.Completion.TrySetCanceled(p.CancellationToken);
            }
            else if (batch.Count == 0 || (ReferenceEquals(p.Operator, batch[0].Operator) && p.MaxNewTokens == batch[0].MaxNewTokens && rows + p.Prompts.Count <= MaxBatchRows))
            {
                waiting.Remove(node);
                batch.Add(p);
                rows += p.Prompts.Count;
            }
            node = next;
        }
        return batch;
    }

    private void Run(List<Pending> batch)
    {
        try
        {
            var shared = new StepTimings();
            var prompts = batch.SelectMany(p => p.Prompts).ToList();
            // Greedy steps are deterministic: an identical prompt (another question of the same endpoint walking the
            // same chain) is read once and its answer shared.
            var unique = prompts.Distinct().ToList();
            var answers = StepRunner.Run(batch[0].Operator, unique, batch[0].MaxNewTokens, shared);
            var outputs = prompts.Select(p => answers[unique.IndexOf(p)]).ToList();
            Interlocked.Increment(ref batchesRun);
            Interlocked.Add(ref rowsRun, unique.Count);
            var offset = 0;
            foreach (var p in batch)
            {
                var own = outputs.Skip(offset).Take(p.Prompts.Count).ToList();
                offset += p.Prompts.Count;
                // Each prediction waited for the whole batch; the tokens are its own rows'.
                p.Timings?.AddGeneration(shared.GenerationMs, own.Sum(o => o.GeneratedTokens));
                p.Timings?.AddScoring(shared.ScoringMs);
                p.Completion.TrySetResult(own);
            }
        }
        catch (Exception ex)
        {
            foreach (var p in batch) p.Completion.TrySetException(ex);
        }
    }

    private sealed record Pending(StepOperator Operator, IReadOnlyList<StepPrompt> Prompts, int MaxNewTokens, StepTimings? Timings, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<IReadOnlyList<StepOutput>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
