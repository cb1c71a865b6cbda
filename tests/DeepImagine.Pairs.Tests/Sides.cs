using DeepImagine.Trials;

namespace DeepImagine.Pairs.Tests;

/// <summary>Hand-made sides and pairs for the rules that need no record.</summary>
internal static class Sides
{
    public static PairSide Side(string group = "G1", double value = 10, int? n = 50, string outcome = "O0", string title = "Change in HbA1c",
        string? unit = "%", string? param = "MEAN", string? dispersion = "STANDARD_ERROR", double? spread = 1, string? cls = null, string? category = null,
        string? armType = ArmTypes.Experimental, string[]? interventions = null, Dose? dose = null, bool receivesPlacebo = false,
        double? lower = null, double? upper = null, long row = 1) => new()
    {
        TrialId = "NCT0", Source = "test", SourceRecordId = "NCT0", Version = 1, TrialRowId = row,
        GroupId = group, Arm = group, ArmType = armType, Interventions = interventions ?? ["drug"], ReceivesPlacebo = receivesPlacebo,
        Dose = dose, DosedIntervention = dose is null ? null : (interventions ?? ["drug"]).FirstOrDefault() ?? "drug",
        OutcomeId = outcome, OutcomeTitle = title, Unit = unit, ParamType = param, DispersionType = dispersion,
        Class = cls, Category = category, Value = value, ValueText = value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Spread = spread, LowerLimit = lower, UpperLimit = upper, N = n,
    };

    public static PairSide Placebo(string group = "P") => Side(group, armType: ArmTypes.PlaceboComparator, interventions: [], receivesPlacebo: true);

    public static Dose Mg(double amount, string? frequency = null) => new(amount, "mg", frequency, null, $"{amount} mg", DoseProvenance.ArmLabel);

    public static CounterfactualPair Pair(PairSide a, PairSide b, string relation, PairComparison? comparison = null, string? direction = null) => new()
    {
        Kind = PairKinds.Natural,
        Factors = [Factors.Arm],
        Relation = relation,
        A = a,
        B = b,
        Comparison = comparison,
        Direction = direction is null ? DirectionLabeler.Label(a, b, comparison) : new DirectionLabel(direction, "test", null, null, null, null),
    };
}
