using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Engine;

/// <summary>
/// A possible anchor: one endpoint of a trial (or benchmark item) with known answers, the trial's registry data where
/// the predictor has it (population, geography, design come only from there), and when its results became public.
/// </summary>
public sealed record KnowledgeItem(CtOpenItem Item, Trial? Trial, DateOnly? ResultsDate)
{
    /// <summary>NCT id and endpoint: what names an anchor in a chain.</summary>
    public string AnchorId => $"{Item.NctId} {Item.Endpoint.Measure}";

    public bool HasAnswers => Item.Questions.Any(q => q.AnswerIndex is not null);
}

/// <summary>
/// What to predict: an endpoint with its questions (a CT Open item, or one built from a stored or posted trial), the
/// trial's registry data where known, and the cutoff: anchors whose results appeared after it are never used.
/// </summary>
public sealed record PredictionTarget(CtOpenItem Item, Trial? Trial = null, DateOnly? Cutoff = null)
{
    public string NctId => Item.NctId;
}
