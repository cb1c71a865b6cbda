using System.Globalization;
using DeepImagine.Imagining;
using DeepImagine.Pairs;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Teaching;

/// <summary>
/// The built-in offline teacher: a trace composed only of facts in the pair and its trials — the change itself, the
/// current result, which way the measure is better, the dose ratio and where the doses lie among those the trial tested
/// (and how the trial's other arms on this measure moved with dose), the placebo response, the time course, population
/// and design differences — each on its own line, named by the line's label. It never reads the changed side's own
/// result (that is the answer) except in the last line, which states the observed outcome the RESULT line repeats.
/// </summary>
public static class GroundedTeacher
{
    public static StepTrace Write(PairStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var facts = new List<TraceFact>();
        void Add(string name, string sentence) => facts.Add(new TraceFact(name, sentence));

        var from = step.From;
        var to = step.To;
        Add("Change", $"the {step.Factor} changes from {step.Perturbation.From} to {step.Perturbation.To}.");
        Add("Current result", $"{from.ValueText}{(from.Unit is { Length: > 0 } unit ? " " + unit : "")} on {PairSteps.MeasureText(from)}" +
                              $"{(from.ParamType is { } p ? $" ({Words(p)})" : "")}{(from.N is { } n ? $", N={n.ToString(CultureInfo.InvariantCulture)}" : "")}.");
        var (higherIsBetter, basis) = DirectionLabeler.HigherIsBetter(to.OutcomeTitle, to.Unit);
        if (higherIsBetter is { } better)
            Add("Better direction", $"on this measure a {(better ? "higher" : "lower")} value is better (the measure says \"{basis}\").");

        switch (step.Factor)
        {
            case Factors.Dose:
                DoseFacts(step, Add);
                break;
            case Factors.Arm:
                ArmFacts(step, Add);
                break;
            case Factors.Outcome:
                OutcomeFacts(step, Add);
                break;
            case Factors.Design:
                if (step.FromTrial?.Enrollment is > 0 && step.ToTrial?.Enrollment is > 0)
                    Add("Enrollment", $"the new trial enrolls {Ratio((double)step.ToTrial.Enrollment.Value / step.FromTrial.Enrollment.Value)} times as many participants.");
                Add("Same intervention", $"the arm keeps {Interventions(to)}; only how the trial is run changes.");
                break;
            case Factors.Population:
                Add("Same intervention", $"the arm keeps {Interventions(to)}; only who is enrolled changes.");
                break;
            case Factors.Geography:
                Add("Same intervention", $"the arm keeps {Interventions(to)}; only where the trial runs changes.");
                break;
        }

        Add("Conclusion", Conclusion(step, higherIsBetter));
        var text = string.Join('\n', facts.Select(f => $"{f.Name}: {f.Sentence}"));
        return new StepTrace(text, facts, TraceSources.Grounded);
    }

    private static void DoseFacts(PairStep step, Action<string, string> add)
    {
        var (from, to) = (step.From, step.To);
        if (from.Dose is { Amount: > 0 } fd && to.Dose is { Amount: > 0 } td && fd.Unit == td.Unit)
            add("Dose ratio", $"the new dose is {Ratio(td.Amount!.Value / fd.Amount!.Value)} times the current dose ({to.Dose.Text} vs {from.Dose.Text}).");
        else if (from.Interventions.Count == 0 || from.Dose?.Amount == 0)
            add("Dose ratio", "the change starts from no active dose.");
        else if (to.Interventions.Count == 0 || to.Dose?.Amount == 0)
            add("Dose ratio", "the change removes the active dose.");

        var trial = step.FromTrial;
        var unit = (from.Dose ?? to.Dose)?.Unit;
        if (trial is null) return;
        var tested = trial.Arms.SelectMany(a => a.Interventions)
            .Where(i => !i.IsPlacebo && i.Dose is { Amount: > 0 } d && d.Unit == unit && from.Interventions.Concat(to.Interventions).Contains(Normalize.NameKey(i.Name)))
            .Select(i => i.Dose!).DistinctBy(d => d.Amount).OrderBy(d => d.Amount).ToList();
        if (tested.Count >= 2 && to.Dose is { Amount: > 0 } target)
        {
            var place = target.Amount == tested[^1].Amount ? "the highest dose the trial tested"
                : target.Amount == tested[0].Amount ? "the lowest dose the trial tested"
                : target.Amount > tested[0].Amount && target.Amount < tested[^1].Amount ? "inside the range the trial tested" : "outside the range the trial tested";
            add("Tested doses", $"the trial tested {string.Join(", ", tested.Select(d => d.Text))}; the new dose is {place}.");
        }

        // How the trial's other arms on this measure moved with dose: the shape so far, without the changed arm's own value.
        var outcome = trial.Outcomes.FirstOrDefault(o => o.Id == from.OutcomeId);
        if (outcome is null) return;
        var version = new TrialRef(from.TrialRowId, from.TrialId, from.Source, from.SourceRecordId, from.Version);
        var points = outcome.Measurements
            .Where(m => m.Value?.Value is not null && m.Class == from.Class && m.Category == from.Category && m.GroupId != to.GroupId)
            // Only groups that are arms have a side (as in the miner); totals and pooled groups have no dose of their own.
            .Where(m => outcome.Groups.FirstOrDefault(g => g.Id == m.GroupId)?.ArmLabel is not null)
            .Select(m => NaturalPairMiner.Side(trial, version, outcome, m))
            .Where(s => s.Dose is { Amount: not null } d && (d.Unit == unit || d.Amount == 0 || s.Interventions.Count == 0))
            .DistinctBy(s => s.Dose!.Amount)
            .OrderBy(s => s.Dose!.Amount)
            .ToList();
        if (points.Count < 2) return;
        var rises = points.Zip(points.Skip(1)).All(x => x.Second.Value > x.First.Value);
        var falls = points.Zip(points.Skip(1)).All(x => x.Second.Value < x.First.Value);
        var shape = rises ? "rose with each higher dose" : falls ? "fell with each higher dose" : "did not move one way with dose";
        add("Dose response", $"on this measure the trial's other arms gave {string.Join(", ", points.Select(s => $"{s.ValueText} at {s.Dose!.Text}"))}: the value {shape}.");
    }

    private static void ArmFacts(PairStep step, Action<string, string> add)
    {
        var (from, to) = (step.From, step.To);
        if (from.Interventions.Count == 0)
            add("Placebo response", $"the current arm ({from.Arm}) gets no active drug, so {from.ValueText} is the placebo response on this measure.");
        else if (to.Interventions.Count == 0)
            add("Placebo response", $"the new arm ({to.Arm}) gets no active drug: its result is the placebo response on this measure.");
        add("Interventions", $"the new arm gives {Interventions(to)} instead of {Interventions(from)}.");
        if (step.Pair.Kind == PairKinds.Natural)
            add("Same trial", "both arms come from the same trial, measured on the same outcome and time frame.");
    }

    private static void OutcomeFacts(PairStep step, Action<string, string> add)
    {
        var (from, to) = (step.From, step.To);
        if (Normalize.NameKey(from.OutcomeTitle) == Normalize.NameKey(to.OutcomeTitle))
        {
            var when = (PairSide s) => string.Join(" ", new[] { s.Class, s.Category, s.TimeFrame }.Where(x => !string.IsNullOrWhiteSpace(x)).Distinct());
            add("Time course", $"the same measure in the same arm ({from.Arm}) is read at {when(to)} instead of {when(from)}.");
        }
        else
        {
            add("Other measure", $"the same arm ({from.Arm}) is measured on {to.OutcomeTitle}{(to.Unit is { Length: > 0 } u ? $" ({u})" : "")} instead of {from.OutcomeTitle}.");
        }
    }

    private static string Conclusion(PairStep step, bool? higherIsBetter)
    {
        var observed = step.Observed;
        var direction = observed.Direction switch
        {
            ResultDirection.Higher => "higher than",
            ResultDirection.Lower => "lower than",
            _ => "about the same as (within the reported spread)",
        };
        var better = higherIsBetter is { } h && observed.Direction is ResultDirection.Higher or ResultDirection.Lower
            ? (observed.Direction == ResultDirection.Higher) == h ? ", a better result" : ", a worse result"
            : "";
        var significance = observed.Significant switch
        {
            true => "; the reported comparison of the two is significant",
            false => "; the reported comparison of the two is not significant",
            null => "",
        };
        return $"the new result comes out {direction} the current one{better}{significance}.";
    }

    private static string Interventions(PairSide side) =>
        side.Interventions.Count == 0 ? "no active drug" : string.Join(" + ", side.Interventions) + (side.Dose?.Text is { Length: > 0 } d ? $" ({d})" : "");

    private static string Words(string constant) => constant.Replace('_', ' ').ToLowerInvariant();

    /// <summary>A ratio to two decimals: the one derived number a trace states, from two numbers in the data.</summary>
    public static string Ratio(double ratio) => Math.Round(ratio, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
