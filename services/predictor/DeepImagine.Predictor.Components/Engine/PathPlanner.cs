using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Engine;

/// <summary>One side of a path: the trial (registry data where known), and the compared arm on the endpoint as a pair side.</summary>
public sealed record PathSide(Trial Trial, PairSide Side);

/// <summary>A factor that differs but cannot be imagined as a step (one side's data cannot describe it).</summary>
public sealed record SkippedFactor(string Factor, string Reason);

/// <summary>The steps from an anchor to the target, in the configured factor order, and the differing factors left out.</summary>
public sealed record AnchorPath(IReadOnlyList<Perturbation> Steps, IReadOnlyList<SkippedFactor> Skipped);

/// <summary>
/// Plans the path from an anchor to the target: the factors the two differ in, found by the approximate-pair miner's
/// comparison (<see cref="ApproximatePairBuilder.DifferingFactors"/>, the one definition), ordered as configured
/// (design → population → geography → arm → dose → outcome by default), each described on both sides by the step
/// format's own wording (<see cref="PairSteps.Describe"/>).
/// </summary>
public static class PathPlanner
{
    public static readonly IReadOnlyList<string> DefaultOrder =
        [Factors.Design, Factors.Population, Factors.Geography, Factors.Arm, Factors.Dose, Factors.Outcome];

    public static AnchorPath Plan(PathSide anchor, PathSide target, IReadOnlyList<string> order)
    {
        var differing = ApproximatePairBuilder.DifferingFactors(anchor.Trial, anchor.Side, target.Trial, target.Side);
        var steps = new List<Perturbation>();
        var skipped = new List<SkippedFactor>();
        foreach (var factor in order.Where(differing.Contains))
        {
            var from = PairSteps.Describe(factor, anchor.Side, anchor.Trial);
            var to = PairSteps.Describe(factor, target.Side, target.Trial);
            if (from is null || to is null)
                skipped.Add(new SkippedFactor(factor, $"the {(from is null ? "anchor" : "target")}'s data cannot describe its {factor}"));
            else if (string.Equals(from.Trim(), to.Trim(), StringComparison.Ordinal))
                skipped.Add(new SkippedFactor(factor, $"both sides read the same ({from})"));
            else
                steps.Add(new Perturbation(factor, from, to) { Dose = PairSteps.DoseChangeOf(factor, anchor.Side, target.Side) });
        }
        return new AnchorPath(steps, skipped);
    }

    /// <summary>Checks a configured order: every factor exactly once.</summary>
    public static IReadOnlyList<string> ValidateOrder(IReadOnlyList<string> order, string setting)
    {
        var unknown = order.Where(f => !Factors.All.Contains(f)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"{setting}: '{string.Join(", ", unknown)}' is not a factor; use {string.Join(", ", Factors.All)}");
        var missing = Factors.All.Where(f => !order.Contains(f)).ToList();
        if (missing.Count > 0 || order.Count != Factors.All.Count)
            throw new ArgumentException($"{setting}: name every factor exactly once (missing: {string.Join(", ", missing)}; given {order.Count})");
        return order;
    }

    /// <summary>The side of one endpoint and arm: the trial where known, else a registry-less trial made from the item.</summary>
    public static PathSide Side(CtOpenItem item, Trial? trial, CtOpenArm arm)
    {
        var view = trial ?? FromItem(item);
        var interventions = (arm.Interventions ?? [])
            .Where(i => !string.IsNullOrWhiteSpace(i.Name) && !Normalize.IsPlacebo(i.Name, i.Type))
            .Select(i => i.Name!.Trim())
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        Dose? dose = null;
        string? dosed = null;
        if (interventions.Count > 0)
        {
            var first = (arm.Interventions ?? []).First(i => i.Name?.Trim() == interventions[0]);
            dose = DoseParser.Find(interventions[0], arm.Label, arm.Description, first.Description);
            dosed = dose is null ? null : Normalize.NameKey(interventions[0]);
        }
        var side = new PairSide
        {
            TrialId = item.NctId,
            Source = view.Source,
            SourceRecordId = view.SourceRecordId,
            Version = 0,
            TrialRowId = 0,
            GroupId = arm.Label ?? "",
            Arm = arm.Label ?? "",
            ArmType = arm.Type,
            Interventions = interventions,
            ReceivesPlacebo = (arm.Interventions ?? []).Any(i => Normalize.IsPlacebo(i.Name, i.Type)),
            Dose = dose,
            DosedIntervention = dosed,
            OutcomeId = item.EndpointKey,
            OutcomeTitle = item.Endpoint.Measure ?? "",
            OutcomeKind = item.Endpoint.OutcomeType == "primaryOutcomes" ? OutcomeKinds.Primary : OutcomeKinds.Secondary,
            TimeFrame = item.Endpoint.TimeFrame,
            Value = 0,
            ValueText = "not reported",
        };
        return new PathSide(view, side);
    }

    /// <summary>A trial with only what an item states (title, arms, interventions): no population, geography or design.</summary>
    public static Trial FromItem(CtOpenItem item) => new()
    {
        TrialId = item.NctId,
        Source = "ct-open",
        SourceRecordId = item.NctId,
        Format = RecordFormat.CtgovV2Json,
        NctId = item.NctId,
        Title = item.BriefTitle,
        Arms = item.Arms.Where(a => !string.IsNullOrWhiteSpace(a.Label)).Select(a => new Arm
        {
            Label = a.Label!,
            Type = a.Type,
            Description = a.Description,
            Interventions = (a.Interventions ?? []).Where(i => !string.IsNullOrWhiteSpace(i.Name))
                .Select(i => new ArmIntervention { Name = i.Name!, Type = i.Type, IsPlacebo = Normalize.IsPlacebo(i.Name, i.Type) }).ToList(),
        }).ToList(),
        Interventions = item.Arms.SelectMany(a => a.Interventions ?? []).Where(i => !string.IsNullOrWhiteSpace(i.Name))
            .DistinctBy(i => i.Name!.Trim(), StringComparer.OrdinalIgnoreCase)
            .Select(i => new Intervention { Name = i.Name!.Trim(), Type = i.Type, Description = i.Description, IsPlacebo = Normalize.IsPlacebo(i.Name, i.Type) }).ToList(),
    };
}
