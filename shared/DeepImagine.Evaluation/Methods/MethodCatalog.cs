namespace DeepImagine.Evaluation.Methods;

/// <summary>The method names <c>evaluate --methods</c> accepts, and how each is made.</summary>
public static class MethodCatalog
{
    public static readonly IReadOnlyList<string> Classical = ["prior", "logreg", "forest"];

    /// <summary>Need a language model from the model store (direct, rag) or the predictor (deepimagine).</summary>
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

    /// <summary>
    /// A fresh, unfitted method. <c>direct</c> and <c>rag</c> need <paramref name="languageModel"/> (else, or when it has
    /// no model, <see cref="MethodUnavailableException"/> with the reason); <c>deepimagine</c> needs the predictor.
    /// </summary>
    public static IOutcomeMethod Create(string name, int seed, LanguageModelSettings? languageModel = null) => name switch
    {
        "prior" => new PriorMethod(),
        "logreg" => MlNetMethod.LogisticRegression(seed),
        "forest" => MlNetMethod.Forest(seed),
        "direct" => new LanguageModelMethod(name, Model(name, languageModel), 0),
        "rag" => new LanguageModelMethod(name, Model(name, languageModel), languageModel!.Neighbours),
        "deepimagine" => throw new MethodUnavailableException(name,
            "it runs the predictor's engine, which the caller wires in (EvaluateRequest.ModelMethods; the CLI does, from --model-store); none was given"),
        _ => throw new ArgumentException($"--methods: '{name}' is not a method; use any of {string.Join(", ", All)}"),
    };

    private static ScoringModel Model(string name, LanguageModelSettings? settings)
    {
        if (settings is null) throw new MethodUnavailableException(name, "no language model was given to the evaluation; no predictions were written for it");
        if (settings.Source.UnavailableReason is { } reason) throw new MethodUnavailableException(name, reason);
        return settings.Source.Get();
    }
}
