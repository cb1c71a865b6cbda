using DeepImagine.Imagining;
using DeepImagine.Pairs;

namespace DeepImagine.Evaluation.Dose;

/// <summary>
/// The dose operator's step from a protocol's anchor to one target dose, written exactly as trace-generator writes the
/// dose steps it trains on: the state is the lowest active dose's arm alone on the endpoint
/// (<see cref="PairSteps.State"/> of the side the pair miner reads from the record), the perturbation its dose → the
/// target's dose (<see cref="PairSteps.Describe"/>). The target's result is never in the prompt.
/// </summary>
public static class DoseSteps
{
    /// <summary>The step's prompt, or null (with <paramref name="why"/>) when the record cannot describe the two doses.</summary>
    public static StepPrompt? Prompt(DoseProtocol protocol, DosePoint target, out string? why)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(target);
        if (protocol.Trial is not { } trial || protocol.Outcome is not { } outcome || protocol.Anchor.Measurement is not { } anchorCell || target.Measurement is not { } targetCell)
            throw new ArgumentException($"protocol '{protocol.Id}' was not read from a record (no trial, endpoint or measurements): the dose operator's steps are written from the record");
        var version = new TrialRef(0, trial.TrialId, trial.Source, trial.SourceRecordId, 1);
        var anchor = NaturalPairMiner.Side(trial, version, outcome, anchorCell);
        var changed = NaturalPairMiner.Side(trial, version, outcome, targetCell);
        var from = PairSteps.Describe(Factors.Dose, anchor, trial);
        var to = PairSteps.Describe(Factors.Dose, changed, trial);
        if (from is null || to is null || string.Equals(from, to, StringComparison.Ordinal))
        {
            why = $"protocol '{protocol.Id}': the record does not state the doses {protocol.Anchor.Dose} and {target.Dose} as two different dose texts";
            return null;
        }
        why = null;
        return StepFormat.BuildPrompt(PairSteps.State(anchor, trial), new Perturbation(Factors.Dose, from, to) { Dose = PairSteps.DoseChangeOf(Factors.Dose, anchor, changed) });
    }
}
