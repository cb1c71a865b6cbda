using System.Text.Json.Serialization;

namespace DeepImagine.Imagining.Questions;

/// <summary>
/// One endpoint of a trial with its outcome questions, in the CT Open benchmark layout (see
/// data/benchmarks/ct-open/README.md). Benchmark files and the questions built from stored results share it, so every
/// method reads one shape.
/// </summary>
public sealed record CtOpenItem
{
    [JsonPropertyName("nct_id")] public required string NctId { get; init; }
    [JsonPropertyName("endpoint_key")] public required string EndpointKey { get; init; }
    [JsonPropertyName("brief_title")] public string? BriefTitle { get; init; }
    [JsonPropertyName("endpoint")] public required CtOpenEndpoint Endpoint { get; init; }
    [JsonPropertyName("arms")] public IReadOnlyList<CtOpenArm> Arms { get; init; } = [];
    [JsonPropertyName("meta_label")] public required string MetaLabel { get; init; }
    /// <summary>For implicit questions: the arms the question is about.</summary>
    [JsonPropertyName("listed_arms")] public IReadOnlyList<CtOpenArm>? ListedArms { get; init; }
    [JsonPropertyName("distinguishable_arm")] public IReadOnlyList<string>? DistinguishableArm { get; init; }
    [JsonPropertyName("questions")] public IReadOnlyList<CtOpenQuestion> Questions { get; init; } = [];
}

public sealed record CtOpenEndpoint
{
    [JsonPropertyName("measure")] public string? Measure { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("timeFrame")] public string? TimeFrame { get; init; }
    /// <summary><c>primaryOutcomes</c> or <c>secondaryOutcomes</c>.</summary>
    [JsonPropertyName("outcome_type")] public string? OutcomeType { get; init; }
}

/// <summary>A ClinicalTrials.gov v2 arm group as the benchmark gives it.</summary>
public sealed record CtOpenArm
{
    [JsonPropertyName("label")] public string? Label { get; init; }
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("interventionNames")] public IReadOnlyList<string>? InterventionNames { get; init; }
    [JsonPropertyName("interventions")] public IReadOnlyList<CtOpenIntervention>? Interventions { get; init; }
}

public sealed record CtOpenIntervention
{
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("otherNames")] public IReadOnlyList<string>? OtherNames { get; init; }
}

/// <summary>Options in order; <see cref="AnswerIndex"/> is absent in a file to be predicted.</summary>
public sealed record CtOpenQuestion
{
    [JsonPropertyName("options")] public required IReadOnlyList<string> Options { get; init; }
    [JsonPropertyName("answer_index")] public int? AnswerIndex { get; init; }
}

/// <summary>The benchmark's three question classes, each scored on its own.</summary>
public static class QuestionClasses
{
    public const string TwoWayExplicit = "2-way explicit";
    public const string TwoWayImplicit = "2-way implicit";
    public const string ThreeWay = "3-way";

    public static readonly IReadOnlyList<string> All = [TwoWayExplicit, TwoWayImplicit, ThreeWay];

    /// <summary>The class as the benchmark README defines it: 3 options → 3-way; else by the item's meta label.</summary>
    public static string Of(string metaLabel, int optionCount, string recordForErrors) => optionCount switch
    {
        3 => ThreeWay,
        2 when metaLabel is "single_arm" or "distinguishable_arm" => TwoWayExplicit,
        2 when metaLabel is "no_arm" or "no_distinguishable_arm" => TwoWayImplicit,
        2 => throw new ArgumentException($"{recordForErrors}: meta_label '{metaLabel}' is not one of single_arm, distinguishable_arm, no_arm, no_distinguishable_arm"),
        _ => throw new ArgumentException($"{recordForErrors}: options has {optionCount} entries; a CT Open question has 2 or 3"),
    };
}
