using System.Text.Json;
using System.Text.Json.Serialization;
using DeepImagine.Trials;
using Xunit.Abstractions;

namespace DeepImagine.Pairs.Tests;

/// <summary>
/// The miner against the hand-checked gold set (gold/gold.json, written from the raw records by gold/build_gold.py
/// from the hand annotations in gold/annotations.py; see gold/README.md). Each gold pair is checked for: kept (a pair the
/// gold marks "drop" must not be mined; one it keeps must be), arms, interventions, dose, values, N, relation,
/// orientation, direction, significance and higherIsBetter. A gold "drop" counts as right on every check when the miner
/// drops it and wrong on every check when it keeps it; a kept gold pair the miner drops is wrong on every check.
/// </summary>
public class Agreeing_with_the_gold_set(ITestOutputHelper output)
{
    public static readonly string[] Checks =
        ["kept", "arms", "interventions", "dose", "values", "n", "relation", "orientation", "direction", "significance", "higherIsBetter"];

    [Fact]
    public void The_miner_agrees_with_the_gold_set_on_at_least_95_percent_of_every_check()
    {
        var gold = GoldPair.Load();
        var right = Checks.ToDictionary(c => c, _ => 0);
        var rightHeldOut = Checks.ToDictionary(c => c, _ => 0);
        var wrong = new List<string>();
        foreach (var trial in gold.GroupBy(g => g.Trial))
        {
            var mined = Mined.Pairs(trial.Key);
            foreach (var g in trial)
            {
                var pair = mined.SingleOrDefault(p => p.Factors[0] != Factors.Outcome && p.A.OutcomeId == g.Outcome && p.A.Class == g.Cls
                    && p.A.Category == g.Category && new[] { p.A.GroupId, p.B.GroupId }.Order().SequenceEqual(new[] { g.GroupA, g.GroupB }.Order()));
                foreach (var (check, agrees) in Compare(g, pair))
                {
                    if (agrees)
                    {
                        right[check]++;
                        if (g.Heldout) rightHeldOut[check]++;
                    }
                    else wrong.Add($"{check}: {g.Trial} {g.Outcome} [{g.Cls}|{g.Category}] {g.GroupA}-{g.GroupB} gold={(g.Expect == "drop" ? "drop (" + g.Why + ")" : Describe(g, check))} mined={(pair is null ? "dropped" : Describe(pair, check))}");
                }
            }
        }

        output.WriteLine($"gold pairs={gold.Count} kept={gold.Count(g => g.Expect == "pair")} drop={gold.Count(g => g.Expect == "drop")} trials={gold.Select(g => g.Trial).Distinct().Count()}");
        var heldOut = gold.Count(g => g.Heldout);
        foreach (var check in Checks)
            output.WriteLine($"{check}={right[check]}/{gold.Count} ({100.0 * right[check] / gold.Count:F1}%) held-out {rightHeldOut[check]}/{heldOut}");
        foreach (var line in wrong) output.WriteLine(line);
        Assert.All(Checks, check => Assert.True(right[check] >= 0.95 * gold.Count, $"{check}: {right[check]} of {gold.Count} agree"));
    }

    [Fact]
    public void The_gold_set_covers_at_least_150_pairs_of_40_trials_and_60_pairs_of_the_2023_records_with_the_named_trials()
    {
        var gold = GoldPair.Load();

        Assert.True(gold.Count >= 150, $"{gold.Count} gold pairs");
        Assert.True(gold.Select(g => g.Trial).Distinct().Count() >= 40);
        Assert.True(gold.Count(g => g.Folder == "ctgov-legacy-xml-2023") >= 60);
        Assert.True(gold.Select(g => g.Folder).Distinct().Count() >= 4, "every bundled source");
        Assert.Subset(gold.Select(g => g.Trial).ToHashSet(),
            new HashSet<string> { "NCT00499252", "NCT00497770", "NCT00492856", "NCT00460564", "NCT00495469", "NCT00006604", "NCT00000142" });
        Assert.Contains(gold, g => g.Expect == "drop");
        Assert.All(gold, g => Assert.NotEmpty(g.Excerpt));
    }

    private static IEnumerable<(string Check, bool Agrees)> Compare(GoldPair g, CounterfactualPair? pair)
    {
        if (g.Expect == "drop" || pair is null)
        {
            var agrees = g.Expect == "drop" && pair is null;
            return Checks.Select(c => (c, agrees));
        }
        var aligned = pair.A.GroupId == g.GroupA;
        var (sideA, sideB) = aligned ? (pair.A, pair.B) : (pair.B, pair.A); // the mined sides of gold A and gold B
        return
        [
            ("kept", true),
            ("arms", sideA.Arm == g.ArmA && sideB.Arm == g.ArmB),
            ("interventions", SameInterventions(sideA, g.InterventionsA!) && SameInterventions(sideB, g.InterventionsB!)),
            ("dose", SameDose(sideA.Dose, g.DoseA) && SameDose(sideB.Dose, g.DoseB)),
            ("values", Close(sideA.Value, g.ValueA) && Close(sideB.Value, g.ValueB)),
            ("n", sideA.N == (int?)g.NA && sideB.N == (int?)g.NB),
            ("relation", pair.Relation == g.Relation),
            ("orientation", !g.OrientationFixed || aligned),
            ("direction", (aligned ? pair.Direction.Direction : Flip(pair.Direction.Direction)) == g.Direction),
            ("significance", pair.Direction.Significant == g.Significant),
            ("higherIsBetter", pair.Direction.HigherIsBetter == g.HigherIsBetter),
        ];
    }

    private static bool SameInterventions(PairSide side, IReadOnlyList<string> names) =>
        side.Interventions.SequenceEqual(names.Select(Normalize.NameKey).Distinct().Order(StringComparer.Ordinal));

    private static bool SameDose(Dose? mined, GoldDose? gold) =>
        gold is null ? mined?.Amount is null : mined?.Amount is { } amount && Close(amount, gold.Amount) && mined.Unit == gold.Unit;

    private static bool Close(double x, double? y) => y is { } v && Math.Abs(x - v) <= 1e-9 * Math.Max(1, Math.Abs(v));

    private static string Flip(string direction) => direction switch
    {
        DirectionLabel.Higher => DirectionLabel.Lower,
        DirectionLabel.Lower => DirectionLabel.Higher,
        _ => direction,
    };

    private static string Describe(GoldPair g, string check) => check switch
    {
        "arms" => $"{g.ArmA} | {g.ArmB}",
        "interventions" => $"{string.Join('+', g.InterventionsA!)} | {string.Join('+', g.InterventionsB!)}",
        "dose" => $"{g.DoseA?.Amount}{g.DoseA?.Unit} | {g.DoseB?.Amount}{g.DoseB?.Unit}",
        "values" => $"{g.ValueA} | {g.ValueB}",
        "n" => $"{g.NA} | {g.NB}",
        "relation" => g.Relation!,
        "orientation" => $"A={g.GroupA}",
        "direction" => g.Direction!,
        "significance" => $"{g.Significant}",
        "higherIsBetter" => $"{g.HigherIsBetter}",
        _ => "pair",
    };

    private static string Describe(CounterfactualPair p, string check) => check switch
    {
        "arms" => $"{p.A.Arm} | {p.B.Arm}",
        "interventions" => $"{string.Join('+', p.A.Interventions)} | {string.Join('+', p.B.Interventions)}",
        "dose" => $"{p.A.Dose?.Amount}{p.A.Dose?.Unit} ({p.A.Dose?.Provenance}) | {p.B.Dose?.Amount}{p.B.Dose?.Unit} ({p.B.Dose?.Provenance})",
        "values" => $"{p.A.Value} | {p.B.Value}",
        "n" => $"{p.A.N} | {p.B.N}",
        "relation" => p.Relation,
        "orientation" => $"A={p.A.GroupId}",
        "direction" => $"{p.Direction.Direction} ({p.Direction.Basis}, A={p.A.GroupId})",
        "significance" => $"{p.Direction.Significant}",
        "higherIsBetter" => $"{p.Direction.HigherIsBetter} ({p.Direction.BetterBasis})",
        _ => $"kept as {p.Relation}",
    };
}

/// <summary>One hand-checked pair of gold/gold.json.</summary>
public sealed record GoldPair
{
    public required string Trial { get; init; }
    public required string Folder { get; init; }
    public required string Outcome { get; init; }
    /// <summary>Annotated after the miner's rules were final, before the miner was run on the trial.</summary>
    public bool Heldout { get; init; }
    public string? Cls { get; init; }
    public string? Category { get; init; }
    public required string Expect { get; init; }
    public string? Why { get; init; }
    public required string GroupA { get; init; }
    public required string GroupB { get; init; }
    [JsonPropertyName("orientation_fixed")] public bool OrientationFixed { get; init; }
    public string? ArmA { get; init; }
    public string? ArmB { get; init; }
    public IReadOnlyList<string>? InterventionsA { get; init; }
    public IReadOnlyList<string>? InterventionsB { get; init; }
    public GoldDose? DoseA { get; init; }
    public GoldDose? DoseB { get; init; }
    public double? ValueA { get; init; }
    public double? ValueB { get; init; }
    public double? NA { get; init; }
    public double? NB { get; init; }
    public string? Relation { get; init; }
    public string? Direction { get; init; }
    public bool? Significant { get; init; }
    public bool? HigherIsBetter { get; init; }
    public IReadOnlyList<string> Excerpt { get; init; } = [];

    public static IReadOnlyList<GoldPair> Load() =>
        JsonSerializer.Deserialize<List<GoldPair>>(File.ReadAllText(Path.Combine(DeepImagine.Tests.RepoRoot.Path, "tests", "DeepImagine.Pairs.Tests", "gold", "gold.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
}

public sealed record GoldDose(double Amount, string Unit);
