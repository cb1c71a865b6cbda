using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepImagine.Imagining;
using DeepImagine.Pairs;
using DeepImagine.Pairs.Tests;
using DeepImagine.TraceGenerator.Teaching;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Tests;

public partial class Writing_grounded_traces
{
    public static TheoryData<string> TrialsWithPairs => ["NCT01037244", "NCT00931528", "NCT02305381", "NCT00833638"];

    [Theory]
    [MemberData(nameof(TrialsWithPairs))]
    public void Every_number_in_a_trace_is_in_the_pair_or_its_trial_or_a_ratio_of_two_of_them(string trialId)
    {
        var trial = Mined.Trial(trialId);
        var steps = Mined.Pairs(trialId).SelectMany(p => PairSteps.FromPair(p, trial, trial)).ToList();
        Assert.NotEmpty(steps);

        foreach (var step in steps)
        {
            var trace = GroundedTeacher.Write(step);
            var data = NumbersIn(JsonSerializer.Serialize(step.Pair, TrialJson.Options) + JsonSerializer.Serialize(trial, TrialJson.Options));
            foreach (Match number in NumberPattern().Matches(trace.Text))
            {
                var value = double.Parse(number.Value, CultureInfo.InvariantCulture);
                Assert.True(data.Contains(value) || IsRatioOf(value, data),
                    $"{number.Value} in the {step.Factor} trace of {trialId} is neither in the data nor a ratio of two numbers in it:\n{trace.Text}");
            }
        }
    }

    [Fact]
    public void A_trial_whose_results_groups_are_not_all_arms_still_gets_a_trace_for_every_step()
    {
        // NCT00495469 reports a results group that maps to no arm: the dose-response facts skip it instead of failing the
        // whole PairsMined (its message went to the error queue before).
        var trial = Mined.Trial("NCT00495469");
        var steps = Mined.Pairs("NCT00495469").SelectMany(p => PairSteps.FromPair(p, trial, trial)).ToList();
        Assert.NotEmpty(steps);

        Assert.All(steps, step => Assert.False(string.IsNullOrWhiteSpace(GroundedTeacher.Write(step).Text)));
    }

    [Fact]
    public void A_dose_step_states_the_ratio_where_the_new_dose_lies_and_the_shape_without_the_answer()
    {
        // NCT01037244: udenafil 50 / 100 / 150 mg vs placebo; change in IIEF-EF 4.85 (50), 6.98 (100), 7.76 (150), -0.19 (placebo).
        var trial = Mined.Trial("NCT01037244");
        var pair = Mined.Pairs("NCT01037244").Single(p => p.Factors.SequenceEqual([Factors.Dose]) && p.A.OutcomeId == "O0" && p.A.Dose!.Amount == 50 && p.B.Dose!.Amount == 150);
        var up = PairSteps.FromPair(pair, trial, trial)[0];

        var trace = GroundedTeacher.Write(up);

        Assert.Equal(["Change", "Current result", "Better direction", "Dose ratio", "Tested doses", "Dose response", "Conclusion"], trace.Facts.Select(f => f.Name));
        Assert.Contains("Dose ratio: the new dose is 3 times the current dose", trace.Text, StringComparison.Ordinal);
        Assert.Contains("the new dose is the highest dose the trial tested", trace.Text, StringComparison.Ordinal);
        var shape = trace.Facts.Single(f => f.Name == "Dose response").Sentence;
        Assert.Contains("4.85", shape, StringComparison.Ordinal);
        Assert.Contains("6.98", shape, StringComparison.Ordinal);
        Assert.DoesNotContain("7.76", shape, StringComparison.Ordinal); // the changed arm's own value is the answer
        Assert.Contains("rose with each higher dose", shape, StringComparison.Ordinal);
        Assert.All(trace.Facts, f => Assert.StartsWith($"{f.Name}: ", trace.Text.Split('\n').Single(l => l.StartsWith(f.Name + ":", StringComparison.Ordinal)), StringComparison.Ordinal));
        Assert.Equal(TraceSources.Grounded, trace.Source);
    }

    [Fact]
    public void A_trace_never_states_the_changed_sides_value_before_its_conclusion()
    {
        var trial = Mined.Trial("NCT01037244");
        foreach (var step in Mined.Pairs("NCT01037244").SelectMany(p => PairSteps.FromPair(p, trial, trial)))
        {
            var trace = GroundedTeacher.Write(step);
            var reasoning = trace.Facts.Where(f => f.Name != "Conclusion").Select(f => f.Sentence);
            if (step.To.ValueText == step.From.ValueText || step.State.Conditions.Any(c => c.Contains(step.To.ValueText, StringComparison.Ordinal))) continue;
            Assert.All(reasoning, sentence => Assert.DoesNotMatch($@"(?<![\d.]){Regex.Escape(step.To.ValueText)}(?![\d])", sentence));
        }
    }

    [Fact]
    public void A_placebo_to_drug_step_names_the_placebo_response_and_concludes_with_the_observed_result()
    {
        // Placebo -0.19 vs udenafil 50 mg 4.85 on IIEF-EF (higher is better), p < 0.0001.
        var pair = Mined.Pairs("NCT01037244").ArmPair("O0", "Placebo", "Udenafil 50 mg");
        var step = PairSteps.FromPair(pair)[0];

        var trace = GroundedTeacher.Write(step);
        var completion = StepAnswer.Format(step.Observed, trace.Text);

        Assert.Contains("Placebo response: the current arm (Placebo) gets no active drug, so -0.19 is the placebo response", trace.Text, StringComparison.Ordinal);
        Assert.EndsWith("Conclusion: the new result comes out higher than the current one, a better result; the reported comparison of the two is significant.\nRESULT: direction=higher log_ratio=unknown significant=yes", completion, StringComparison.Ordinal);
        Assert.Equal(step.Observed, StepAnswer.Parse(completion));
    }

    [Fact]
    public void An_outcome_step_describes_the_time_course()
    {
        // NCT00931528: tadalafil arm at Year 1 then Year 2.
        var pair = Mined.Pairs("NCT00931528").Single(p => p.Relation == "time_frame" && p.A.OutcomeId == "O1" && p.A.Arm == "Tadalafil");

        var trace = GroundedTeacher.Write(PairSteps.FromPair(pair)[0]);

        Assert.Contains("Time course: the same measure in the same arm (Tadalafil) is read at Year 2", trace.Text, StringComparison.Ordinal);
        Assert.Contains("instead of Year 1", trace.Text, StringComparison.Ordinal);
    }

    private static HashSet<double> NumbersIn(string text) =>
        NumberPattern().Matches(text).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToHashSet();

    private static bool IsRatioOf(double value, HashSet<double> data) =>
        data.Where(d => d != 0).Any(d => data.Any(n => Math.Abs(Math.Round(n / d, 2) - value) < 1e-9));

    [GeneratedRegex(@"\d+(?:\.\d+)?")]
    private static partial Regex NumberPattern();
}
