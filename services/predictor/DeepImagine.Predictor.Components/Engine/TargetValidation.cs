using DeepImagine.Imagining.Questions;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Engine;

/// <summary>Input the predictor cannot use: <see cref="Field"/> names the field (JSON path), the message says what is wrong.</summary>
public sealed class PredictionInputException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>Checks an item before it is predicted or stored, naming the field of the first problem.</summary>
public static class TargetValidation
{
    public static CtOpenItem Check(CtOpenItem? item, string path, bool needAnswers = false)
    {
        if (item is null) throw new PredictionInputException(path, "is missing");
        if (string.IsNullOrWhiteSpace(item.NctId) || !Normalize.IsNctId(item.NctId.Trim()))
            throw new PredictionInputException($"{path}.nct_id", $"'{item.NctId}' is not an NCT id (NCT and 8 digits)");
        if (string.IsNullOrWhiteSpace(item.EndpointKey)) throw new PredictionInputException($"{path}.endpoint_key", "is missing");
        if (item.Endpoint is null || string.IsNullOrWhiteSpace(item.Endpoint.Measure))
            throw new PredictionInputException($"{path}.endpoint.measure", "is missing; the endpoint's measure is what is predicted");
        if (item.Questions is not { Count: > 0 }) throw new PredictionInputException($"{path}.questions", "is empty; give at least one question with options");
        for (var q = 0; q < item.Questions.Count; q++)
        {
            var question = item.Questions[q];
            if (question?.Options is not { Count: 2 or 3 } options)
                throw new PredictionInputException($"{path}.questions[{q}].options", $"has {question?.Options?.Count ?? 0} options; a question has 2 or 3");
            if (options.Any(string.IsNullOrWhiteSpace)) throw new PredictionInputException($"{path}.questions[{q}].options", "has an empty option");
            try
            {
                QuestionClasses.Of(item.MetaLabel, options.Count, path);
            }
            catch (ArgumentException)
            {
                throw new PredictionInputException($"{path}.meta_label", $"'{item.MetaLabel}' is not one of single_arm, distinguishable_arm, no_arm, no_distinguishable_arm");
            }
            if (question.AnswerIndex is { } a && (a < 0 || a >= options.Count))
                throw new PredictionInputException($"{path}.questions[{q}].answer_index", $"{a} is outside the {options.Count} options");
        }
        if (needAnswers && item.Questions.All(q => q.AnswerIndex is null))
            throw new PredictionInputException($"{path}.questions", "no question has an answer_index; knowledge needs known answers");
        return item;
    }
}
