namespace DeepImagine.Evaluation.Methods;

/// <summary>
/// Asks a thread-safe method up to <see cref="Concurrency"/> questions at once, each still alone. For the predictor's
/// engine this is what makes it fast: its step scheduler batches the steps of every prediction waiting at the same
/// time, so concurrent questions share forward passes (one question alone fills a batch with only its few chains).
/// The answers come back in question order and do not depend on which questions ran together beyond the model's
/// batched arithmetic.
/// </summary>
public sealed class ConcurrentOutcomeMethod(IOutcomeMethod inner, int concurrency) : IBatchOutcomeMethod
{
    public const int DefaultConcurrency = 16;

    public int Concurrency { get; } = concurrency >= 1 ? concurrency : throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, "concurrency must be at least 1");

    public string Name => inner.Name;

    public void Fit(IReadOnlyList<LabelledQuestion> knowledge) => inner.Fit(knowledge);

    public MethodAnswer Predict(EvalQuestion question) => inner.Predict(question);

    public IReadOnlyList<MethodAnswer> PredictAll(IReadOnlyList<EvalQuestion> questions)
    {
        var answers = new MethodAnswer[questions.Count];
        var next = -1;
        Exception? failure = null;
        // Own threads, not the thread pool's: a method that blocks on its own asynchronous work (the engine does) must
        // not starve the pool that work needs.
        var workers = Enumerable.Range(0, Math.Min(Concurrency, questions.Count)).Select(_ => new Thread(() =>
        {
            int i;
            while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < questions.Count)
            {
                try
                {
                    answers[i] = inner.Predict(questions[i]);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                }
            }
        }) { IsBackground = true }).ToList();
        foreach (var worker in workers) worker.Start();
        foreach (var worker in workers) worker.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return answers;
    }
}
