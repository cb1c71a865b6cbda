using DeepImagine.Trials;

namespace DeepImagine.Evaluation.Dose;

/// <summary>One dose group's result: dose (0 = placebo) and the effect against placebo in pooled-SD units.</summary>
public sealed record DosePoint(double Dose, double Value, double StandardizedEffect)
{
    /// <summary>The record's measurement this point was read from (for the step format's state); null for hand-made points.</summary>
    public Measurement? Measurement { get; init; }
}

/// <summary>
/// A protocol's primary endpoint as dose groups: placebo and at least two active doses, effects placebo-adjusted and
/// divided by the protocol's pooled standard deviation (continuous: from SD, or SE × √N; binary: √(p̄(1 − p̄))).
/// </summary>
public sealed record DoseProtocol(string Id, string Endpoint, string EndpointType, double PooledSd, IReadOnlyList<DosePoint> ActiveDoses)
{
    /// <summary>The anchor: the lowest active dose as observed.</summary>
    public DosePoint Anchor => ActiveDoses[0];

    public IReadOnlyList<DosePoint> Targets => ActiveDoses.Skip(1).ToList();

    /// <summary>The parsed record and the endpoint the points were read from (the dose operator's steps are written from them); null for hand-made protocols.</summary>
    public Trial? Trial { get; init; }
    public OutcomeMeasure? Outcome { get; init; }

    /// <summary>Every protocol of the clinDR files in the folders, as far as it has a usable primary endpoint.</summary>
    public static IReadOnlyList<DoseProtocol> Load(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new DirectoryNotFoundException($"no clinDR folder or metaData.csv at '{path}'");
        var protocols = new List<DoseProtocol>();
        foreach (var record in SourceFiles.Read([path]).Where(r => r.Format == RecordFormat.DoseGroupTable))
        {
            if (From(TrialRecordParser.Parse(record)) is { } protocol) protocols.Add(protocol);
        }
        return protocols;
    }

    /// <summary>The first primary endpoint of the main population with placebo, two or more active doses and a spread; null if none.</summary>
    public static DoseProtocol? From(Trial trial)
    {
        foreach (var outcome in trial.Outcomes.Where(o => o.Kind == "PRIMARY" && (o.Description ?? "").Contains("population 1;", StringComparison.Ordinal)))
        {
            var binary = outcome.ParamType == "PROPORTION";
            var groups = outcome.Measurements
                .Select(m => (Arm: trial.Arms.FirstOrDefault(a => a.Label == m.GroupId), Measurement: m))
                .Where(g => g.Arm?.Interventions.FirstOrDefault()?.Dose?.Amount is not null && g.Measurement.Value?.Value is not null)
                .Select(g => (Dose: g.Arm!.Interventions[0].Dose!.Amount!.Value, Value: g.Measurement.Value!.Value!.Value, Spread: g.Measurement.Spread?.Value, N: g.Measurement.N, g.Measurement))
                .GroupBy(g => g.Dose).Select(g => g.First()) // one regimen per dose: the first as reported
                .OrderBy(g => g.Dose)
                .ToList();
            if (groups.Count < 3 || groups[0].Dose != 0) continue;
            double? sd;
            if (binary)
            {
                var weights = groups.Select(g => (double)(g.N ?? 1)).ToList();
                var mean = groups.Select((g, i) => g.Value * weights[i]).Sum() / weights.Sum();
                sd = mean is > 0 and < 1 ? Math.Sqrt(mean * (1 - mean)) : null;
            }
            else
            {
                var parts = groups.Where(g => g.Spread is > 0 && g.N is > 1)
                    .Select(g => (Sd: outcome.DispersionType == "STANDARD_ERROR" ? g.Spread!.Value * Math.Sqrt(g.N!.Value) : g.Spread!.Value, Df: g.N!.Value - 1.0)).ToList();
                sd = parts.Count > 0 && parts.Sum(p => p.Df) > 0 ? Math.Sqrt(parts.Sum(p => p.Sd * p.Sd * p.Df) / parts.Sum(p => p.Df)) : null;
            }
            if (sd is not > 0) continue;
            var placebo = groups[0].Value;
            var endpoint = (outcome.Description ?? outcome.Title).Split(';')[0].Trim();
            return new DoseProtocol(trial.TrialId, endpoint, binary ? "BINARY" : "CONTINUOUS", sd.Value,
                groups.Skip(1).Select(g => new DosePoint(g.Dose, g.Value, (g.Value - placebo) / sd.Value) { Measurement = g.Measurement }).ToList())
            {
                Trial = trial,
                Outcome = outcome,
            };
        }
        return null;
    }
}
