using DeepImagine.Trials;

namespace DeepImagine.Pairs;

/// <summary>
/// A pair across two similar trials: each trial's focus result (the arm given the shared intervention, on its first
/// primary outcome with a value) and every factor in which the two differ. Sides are in stored order (A = the earlier
/// stored trial), so whichever trial is mined first, the pair is the same.
/// </summary>
public static class ApproximatePairBuilder
{
    public static CounterfactualPair? Build((Trial Trial, TrialRef Ref) x, (Trial Trial, TrialRef Ref) y, double similarity)
    {
        var (first, second) = x.Ref.RowId < y.Ref.RowId ? (x, y) : (y, x);
        var shared = ActiveInterventionKeys(first.Trial).Intersect(ActiveInterventionKeys(second.Trial), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        var a = Focus(first.Trial, first.Ref, shared);
        var b = Focus(second.Trial, second.Ref, shared);
        if (a is null || b is null) return null;

        var factors = DifferingFactors(first.Trial, a, second.Trial, b);
        if (factors.Count == 0) return null; // nothing differs that the method could imagine a change of
        return new CounterfactualPair
        {
            Kind = PairKinds.Approximate,
            Factors = factors,
            Relation = shared.Count > 0 ? PairRelations.SharedIntervention : PairRelations.SharedCondition,
            A = a,
            B = b,
            Direction = DirectionLabeler.Label(a, b, null),
            Similarity = similarity,
        };
    }

    public static IReadOnlyList<string> DifferingFactors(Trial ta, PairSide a, Trial tb, PairSide b)
    {
        var factors = new List<string>();
        var sameInterventions = a.Interventions.SequenceEqual(b.Interventions);
        if (sameInterventions && a.Dose is { IsParsed: true } da && b.Dose is { IsParsed: true } db
            && (da.Amount != db.Amount || da.Unit != db.Unit || da.Frequency != db.Frequency))
        {
            factors.Add(Factors.Dose);
        }
        if (!sameInterventions) factors.Add(Factors.Arm);
        if (Normalize.NameKey(a.OutcomeTitle) != Normalize.NameKey(b.OutcomeTitle)
            || Normalize.NameKey(a.TimeFrame ?? "") != Normalize.NameKey(b.TimeFrame ?? ""))
        {
            factors.Add(Factors.Outcome);
        }
        if (PopulationDiffers(ta, tb)) factors.Add(Factors.Population);
        if (ta.Countries.Count > 0 && tb.Countries.Count > 0 && !SameSet(ta.Countries, tb.Countries)) factors.Add(Factors.Geography);
        if (DesignDiffers(ta, tb)) factors.Add(Factors.Design);
        return factors;
    }

    private static bool PopulationDiffers(Trial a, Trial b)
    {
        var ea = a.Eligibility;
        var eb = b.Eligibility;
        return ea.Sex != eb.Sex
            || AgeDiffers(ea.MinimumAge?.Years, eb.MinimumAge?.Years)
            || AgeDiffers(ea.MaximumAge?.Years, eb.MaximumAge?.Years)
            || !SameSet(a.Conditions.Select(Normalize.NameKey), b.Conditions.Select(Normalize.NameKey));
    }

    private static bool AgeDiffers(double? x, double? y) => x is null != y is null || (x is { } a && y is { } b && Math.Abs(a - b) >= 1);

    private static bool DesignDiffers(Trial a, Trial b) =>
        !SameSet(a.Phases, b.Phases)
        || a.Design.Masking != b.Design.Masking
        || a.Design.Allocation != b.Design.Allocation
        || (a.Enrollment is > 0 && b.Enrollment is > 0 && Math.Abs(Math.Log((double)a.Enrollment.Value / b.Enrollment.Value)) > Math.Log(2));

    private static bool SameSet(IEnumerable<string> a, IEnumerable<string> b) =>
        a.ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(b);

    private static IEnumerable<string> ActiveInterventionKeys(Trial t) =>
        t.Interventions.Where(i => !i.IsPlacebo).SelectMany(i => i.OtherNames.Prepend(i.Name)).Select(Normalize.NameKey);

    /// <summary>
    /// The trial's arm with the shared intervention (else its first active arm) on its first primary outcome with a
    /// value in a single, unclassified cell that is not a baseline: both sides of an approximate pair are then the same
    /// kind of cell (never one category against another, nor a baseline against a follow-up).
    /// </summary>
    public static PairSide? Focus(Trial trial, TrialRef version, IReadOnlySet<string> sharedInterventions)
    {
        bool Shares(Arm arm) => arm.Interventions.Any(i => !i.IsPlacebo && (sharedInterventions.Contains(Normalize.NameKey(i.Name))
            || trial.Interventions.Any(t => t.Name == i.Name && t.OtherNames.Any(o => sharedInterventions.Contains(Normalize.NameKey(o))))));
        var arms = trial.Arms
            .OrderByDescending(Shares)
            .ThenByDescending(a => a.Type == ArmTypes.Experimental)
            .ThenByDescending(a => a.Interventions.Any(i => !i.IsPlacebo))
            .ToList();
        var outcomes = trial.Outcomes
            .Where(o => o.Measurements.All(m => m.Class is null && m.Category is null) && !NaturalPairMiner.IsBaseline(o.TimeFrame))
            .OrderByDescending(o => o.Kind == OutcomeKinds.Primary).ToList();
        foreach (var arm in arms)
        {
            foreach (var outcome in outcomes)
            {
                var group = outcome.Groups.FirstOrDefault(g => g.ArmLabel == arm.Label);
                var measurement = group is null ? null : outcome.Measurements.FirstOrDefault(m => m.GroupId == group.Id && m.Value?.Value is not null && m.N != 0);
                if (measurement is not null) return NaturalPairMiner.Side(trial, version, outcome, measurement);
            }
        }
        return null;
    }
}
