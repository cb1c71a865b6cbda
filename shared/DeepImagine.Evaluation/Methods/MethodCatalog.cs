namespace DeepImagine.Evaluation.Methods;

/// <summary>The method names <c>evaluate --methods</c> accepts, and how each is made.</summary>
public static class MethodCatalog
{
    public static readonly IReadOnlyList<string> Classical = ["prior", "logreg", "forest"];

    /// <summary>Need a trained language model and the predictor service (issues on the model, traces and predictor).</summary>
    public static readonly IReadOnlyList<string> ModelBased = ["direct", "rag", "deepimagine"];

    public static IReadOnlyList<string> All => [.. Classical, .. ModelBased];

    /// <summary>Validates a comma-separated list, in the order given, without duplicates.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new ArgumentException($"--methods is empty; give a comma-separated list of {string.Join(", ", All)}");
        foreach (var name in names)
        {
            if (!All.Contains(name))
                throw new ArgumentException($"--methods: '{name}' is not a method; use any of {string.Join(", ", All)}");
        }
        return names;
    }

    /// <summary>A fresh, unfitted method; a model-based one throws <see cref="MethodUnavailableException"/> while no model is wired in.</summary>
    public static IOutcomeMethod Create(string name, int seed) => name switch
    {
        "prior" => new PriorMethod(),
        "logreg" => MlNetMethod.LogisticRegression(seed),
        "forest" => MlNetMethod.Forest(seed),
        "deepimagine" => throw new MethodUnavailableException(name,
            "it runs the predictor's engine, which the caller wires in (EvaluateRequest.ModelMethods; the CLI does, from --model-store); none was given"),
        "direct" or "rag" => throw new MethodUnavailableException(name,
            "no trained language model or predictor is available to the evaluation yet (it needs a base-model checkpoint and the predictor service); no predictions were written for it"),
        _ => throw new ArgumentException($"--methods: '{name}' is not a method; use any of {string.Join(", ", All)}"),
    };
}
