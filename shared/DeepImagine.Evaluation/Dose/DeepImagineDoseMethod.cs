using DeepImagine.Imagining;

namespace DeepImagine.Evaluation.Dose;

/// <summary>Reads dose steps with a trained operator: one parsed answer per prompt, in order (the constrained reading, so always parseable).</summary>
public delegate IReadOnlyList<ImaginedResult> ReadDoseSteps(IReadOnlyList<StepPrompt> prompts);

/// <summary>A loaded dose operator: which model version it is, and how it reads steps.</summary>
public sealed record DoseOperator(string Description, ReadDoseSteps Read);

/// <summary>
/// <c>deepimagine</c> on dose: the dose operator's chain from the anchor (placebo + lowest active dose) to the target
/// dose, one dose step (<see cref="DoseSteps"/>). The operator answers a direction of the result (higher / lower /
/// same); the placebo-adjusted value needs a size too, and a small operator's log-ratio is not trusted for it, so the
/// rule is: <b>direction from the operator, size from the pooled log-linear slope</b> — anchor ± max(|loglinear
/// change|, <see cref="DoseEvaluation.SameBand"/>) for higher / lower (at least the smallest change the direction
/// metric counts, so the scored direction is the operator's), the anchor itself for same. A step the record cannot
/// describe is unanswered (NaN: the scorer counts it as no change, and the run reports how many).
/// </summary>
public sealed class DeepImagineDoseMethod(DoseOperator doseOperator, int batchRows = DeepImagineDoseMethod.DefaultBatchRows) : IDoseMethod
{
    public const string MethodName = "deepimagine";
    public const int DefaultBatchRows = 64;

    private readonly LogLinearDoseMethod _magnitude = new();
    private readonly Dictionary<(string Protocol, double Dose), ResultDirection> _answers = [];
    private readonly HashSet<(string Protocol, double Dose)> _unwritable = [];

    public string Name => MethodName;

    public string OperatorDescription => doseOperator.Description;

    /// <summary>How many of these protocols' steps the operator answered with each direction (after <see cref="Prepare"/>).</summary>
    public IReadOnlyDictionary<ResultDirection, int> DirectionCounts(IEnumerable<DoseProtocol> protocols) =>
        protocols.SelectMany(p => p.Targets.Select(t => (p.Id, t.Dose))).Where(_answers.ContainsKey)
            .GroupBy(k => _answers[k]).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Why steps could not be written (one entry per step).</summary>
    public List<string> Unanswered { get; } = [];

    public void Fit(IReadOnlyList<DoseProtocol> training) => _magnitude.Fit(training);

    /// <summary>Reads every target's step of these protocols in batches (the scorer then asks one dose at a time).</summary>
    public void Prepare(IReadOnlyList<DoseProtocol> protocols)
    {
        var pending = new List<((string, double) Key, StepPrompt Prompt)>();
        var queued = new HashSet<(string, double)>();
        foreach (var protocol in protocols)
        {
            foreach (var target in protocol.Targets)
            {
                var key = (protocol.Id, target.Dose);
                if (_answers.ContainsKey(key) || _unwritable.Contains(key) || !queued.Add(key)) continue;
                if (DoseSteps.Prompt(protocol, target, out var why) is { } prompt)
                {
                    pending.Add((key, prompt));
                }
                else
                {
                    _unwritable.Add(key);
                    Unanswered.Add(why!);
                }
            }
        }
        foreach (var chunk in pending.Chunk(batchRows))
        {
            var results = doseOperator.Read(chunk.Select(p => p.Prompt).ToList());
            if (results.Count != chunk.Length) throw new InvalidOperationException($"the dose operator returned {results.Count} answers for {chunk.Length} steps");
            for (var i = 0; i < chunk.Length; i++) _answers[chunk[i].Key] = results[i].Direction;
        }
    }

    public double Predict(DoseProtocol protocol, double dose)
    {
        if (!_answers.ContainsKey((protocol.Id, dose)) && !_unwritable.Contains((protocol.Id, dose))) Prepare([protocol]);
        if (!_answers.TryGetValue((protocol.Id, dose), out var direction)) return double.NaN;
        // The pooled SD is positive, so the raw result's direction is the placebo-adjusted effect's.
        var anchor = protocol.Anchor.StandardizedEffect;
        var size = Math.Max(Math.Abs(_magnitude.Predict(protocol, dose) - anchor), DoseEvaluation.SameBand);
        return direction switch
        {
            ResultDirection.Higher => anchor + size,
            ResultDirection.Lower => anchor - size,
            _ => anchor,
        };
    }
}
