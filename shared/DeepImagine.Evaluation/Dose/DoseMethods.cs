
namespace DeepImagine.Evaluation.Dose;

/// <summary>Predicts the standardized placebo-adjusted effect at a dose from the protocol's anchor (and priors from training).</summary>
public interface IDoseMethod
{
    string Name { get; }

    void Fit(IReadOnlyList<DoseProtocol> training);

    double Predict(DoseProtocol protocol, double dose);
}

/// <summary>Every other dose as the anchor: no dose response.</summary>
public sealed class CopyDoseMethod : IDoseMethod
{
    public string Name => "copy";

    public void Fit(IReadOnlyList<DoseProtocol> training) { }

    public double Predict(DoseProtocol protocol, double dose) => protocol.Anchor.StandardizedEffect;
}

/// <summary>
/// Linear in log-dose from the anchor: effect = anchor + sign(anchor) × B × ln(dose / anchor dose). B is the median
/// training slope (least squares over the active doses, MathNet <c>Fit.Line</c>), each signed by its own protocol's
/// effect direction, pooled over protocols of the same endpoint when there are at least
/// <see cref="MinimumPool"/>, else of the same endpoint type (binary/continuous), else all.
/// </summary>
public sealed class LogLinearDoseMethod : IDoseMethod
{
    public const int MinimumPool = 3;
    private List<(DoseProtocol Protocol, double Slope)> _slopes = [];

    public string Name => "loglinear";

    public void Fit(IReadOnlyList<DoseProtocol> training) =>
        _slopes = training.Select(p =>
        {
            var (_, slope) = MathNet.Numerics.Fit.Line(p.ActiveDoses.Select(d => Math.Log(d.Dose)).ToArray(), p.ActiveDoses.Select(d => d.StandardizedEffect).ToArray());
            return (p, slope * Math.Sign(EffectDirection(p)));
        }).Where(s => double.IsFinite(s.Item2)).ToList();

    public double Predict(DoseProtocol protocol, double dose)
    {
        var pooled = Pool(_slopes, s => s.Protocol, protocol).Select(s => s.Slope).ToList();
        var slope = pooled.Count == 0 ? 0 : Median(pooled);
        return protocol.Anchor.StandardizedEffect + Math.Sign(protocol.Anchor.StandardizedEffect) * slope * Math.Log(dose / protocol.Anchor.Dose);
    }

    /// <summary>Which way the drug moves the endpoint: the sign of the effect at the highest dose.</summary>
    public static double EffectDirection(DoseProtocol p) => p.ActiveDoses[^1].StandardizedEffect;

    public static IReadOnlyList<T> Pool<T>(IReadOnlyList<T> items, Func<T, DoseProtocol> protocolOf, DoseProtocol target)
    {
        var sameEndpoint = items.Where(i => protocolOf(i).Endpoint == target.Endpoint).ToList();
        if (sameEndpoint.Count >= MinimumPool) return sameEndpoint;
        var sameType = items.Where(i => protocolOf(i).EndpointType == target.EndpointType).ToList();
        return sameType.Count >= MinimumPool ? sameType : items;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

/// <summary>
/// Emax model effect = Emax · dᴴ / (ED50ᴴ + dᴴ) through zero at placebo. ED50 (as a multiple of the anchor dose) and the
/// Hill coefficient H are priors pooled from training protocols (as the log-linear slope is pooled): the pair that fits
/// those protocols best in least squares, each protocol with its own Emax (closed form), searched on a grid. For a test
/// protocol Emax is then fitted to the anchor exactly.
/// </summary>
public sealed class EmaxDoseMethod : IDoseMethod
{
    public static readonly IReadOnlyList<double> Ed50Ratios = Enumerable.Range(0, 25).Select(i => Math.Pow(10, -1.5 + i * 0.125)).ToList();
    public static readonly IReadOnlyList<double> HillValues = [0.5, 0.75, 1, 1.5, 2, 3];
    private IReadOnlyList<DoseProtocol> _training = [];
    private readonly Dictionary<string, (double Ratio, double Hill)> _priorCache = [];

    public string Name => "emax";

    public void Fit(IReadOnlyList<DoseProtocol> training)
    {
        _training = training;
        _priorCache.Clear();
    }

    public double Predict(DoseProtocol protocol, double dose)
    {
        var (ratio, hill) = Prior(protocol);
        var ed50 = ratio * protocol.Anchor.Dose;
        var emax = protocol.Anchor.StandardizedEffect / Shape(protocol.Anchor.Dose, ed50, hill);
        return emax * Shape(dose, ed50, hill);
    }

    public (double Ratio, double Hill) Prior(DoseProtocol protocol)
    {
        var pool = LogLinearDoseMethod.Pool(_training, p => p, protocol);
        var key = string.Join('|', pool.Select(p => p.Id));
        if (_priorCache.TryGetValue(key, out var cached)) return cached;
        var best = (Ratio: 1.0, Hill: 1.0, Error: double.PositiveInfinity);
        foreach (var ratio in Ed50Ratios)
        {
            foreach (var hill in HillValues)
            {
                var error = 0.0;
                foreach (var p in pool)
                {
                    var ed50 = ratio * p.Anchor.Dose;
                    var f = p.ActiveDoses.Select(d => Shape(d.Dose, ed50, hill)).ToList();
                    var emax = f.Select((x, i) => x * p.ActiveDoses[i].StandardizedEffect).Sum() / f.Sum(x => x * x);
                    error += f.Select((x, i) => Math.Pow(p.ActiveDoses[i].StandardizedEffect - emax * x, 2)).Sum();
                }
                if (error < best.Error) best = (ratio, hill, error);
            }
        }
        return _priorCache[key] = (best.Ratio, best.Hill);
    }

    public static double Shape(double dose, double ed50, double hill) => Math.Pow(dose, hill) / (Math.Pow(ed50, hill) + Math.Pow(dose, hill));
}
