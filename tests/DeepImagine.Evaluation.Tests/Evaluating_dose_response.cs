using DeepImagine.Evaluation.Dose;

namespace DeepImagine.Evaluation.Tests;

public sealed class Evaluating_dose_response : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepimagine-dose-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Header = "taid,protid,gname,drugtype,route,etype,poptype,primtype,endpointShort,endpointLong,primtime,timeunit,dose,rslt,se,sd,sampsize";

    [Fact]
    public void A_hand_made_protocol_reads_as_placebo_adjusted_effects_in_pooled_sd_units()
    {
        // Placebo 10, doses 5 / 10 / 20 at 12 / 14 / 15; every group SD 2, n 10 → pooled SD 2.
        var csv = Path.Combine(_folder, "metaData.csv");
        File.WriteAllText(csv, Header + "\n" + string.Join("\n",
            Row(1, 0, 10), Row(1, 5, 12), Row(1, 10, 14), Row(1, 20, 15)) + "\n");

        var protocol = Assert.Single(DoseProtocol.Load(csv));

        Assert.Equal(2, protocol.PooledSd, 12);
        Assert.Equal("FEV1", protocol.Endpoint);
        Assert.Equal([5.0, 10, 20], protocol.ActiveDoses.Select(d => d.Dose));
        Assert.Equal([1.0, 2, 2.5], protocol.ActiveDoses.Select(d => d.StandardizedEffect));
        Assert.Equal(5, protocol.Anchor.Dose);
    }

    [Fact]
    public void Copy_repeats_the_anchor_and_loglinear_uses_the_pooled_slope()
    {
        // Training: effect = 0.3 ln(dose) exactly, so every training slope is 0.3.
        var training = Enumerable.Range(0, 3).Select(i => Protocol($"T{i}", (1, 0), (2, 0.3 * Math.Log(2)), (4, 0.3 * Math.Log(4)))).ToList();
        var test = Protocol("X", (10, 0.5), (20, 0.9), (40, 1.1));
        var loglinear = new LogLinearDoseMethod();
        loglinear.Fit(training);

        Assert.Equal(0.5, new CopyDoseMethod().Predict(test, 40), 12);
        Assert.Equal(0.5 + 0.3 * Math.Log(4), loglinear.Predict(test, 40), 9);
    }

    [Fact]
    public void Emax_recovers_the_training_curve_shape_and_fits_its_height_to_the_anchor()
    {
        var ratio = EmaxDoseMethod.Ed50Ratios[14];
        const double hill = 1.5;
        DoseProtocol Curve(string id, double emax, double lowDose) => Protocol(id,
            new[] { 1.0, 3, 9 }.Select(m => (lowDose * m, emax * EmaxDoseMethod.Shape(lowDose * m, ratio * lowDose, hill))).ToArray());
        var emaxMethod = new EmaxDoseMethod();
        emaxMethod.Fit([Curve("A", 1.0, 1), Curve("B", 2.0, 5), Curve("C", 0.5, 2)]);
        var test = Curve("X", 3.0, 10);

        Assert.Equal((ratio, hill), emaxMethod.Prior(test));
        Assert.Equal(test.ActiveDoses[2].StandardizedEffect, emaxMethod.Predict(test, 90), 9);
    }

    [Fact]
    public void Direction_accuracy_counts_up_down_and_same_from_the_anchor()
    {
        var test = Protocol("X", (1, 0.5), (2, 0.9), (4, 0.45)); // up 0.4, then within 0.1 SD of the anchor: "same"
        var score = DoseEvaluation.Score(new CopyDoseMethod(), [], [test], out var lines);

        Assert.Equal(2, score.Targets);
        Assert.Equal(0.5, score.DirectionAccuracy, 12);
        Assert.Equal((0.4 + 0.05) / 2, score.StandardizedMae, 9);
        Assert.Equal(2, lines.Count);
    }

    [Fact]
    public void The_seeded_holdout_split_is_stable_and_near_the_fraction()
    {
        var ids = Enumerable.Range(0, 400).Select(i => $"clinDR:{i}-1").ToList();
        var heldOut = ids.Count(id => DoseEvaluation.IsHeldOut(id, 1, 0.25));

        Assert.InRange(heldOut, 70, 130);
        Assert.Equal(ids.Where(id => DoseEvaluation.IsHeldOut(id, 1, 0.25)), ids.Where(id => DoseEvaluation.IsHeldOut(id, 1, 0.25)));
    }

    private static DoseProtocol Protocol(string id, params (double Dose, double Effect)[] doses) =>
        new(id, "FEV1", "CONTINUOUS", 1, doses.Select(d => new DosePoint(d.Dose, d.Effect, d.Effect)).ToList());

    private static string Row(int protid, double dose, double mean) =>
        $"1,{protid},testdrug,SMALL MOLECULE,oral,1,1,CONTINUOUS,FEV1,Forced expiratory volume,12,weeks,{dose},{mean},,2,10";
}
