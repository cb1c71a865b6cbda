using DeepImagine.Pairs.Tests;
using DeepImagine.TraceGenerator.Examples;

namespace DeepImagine.TraceGenerator.Tests;

public class Writing_registry_text
{
    [Fact]
    public void Registry_text_holds_the_protocol_and_no_result()
    {
        // NCT01037244 reports IIEF-EF changes 4.85 / 6.98 / 7.76 / -0.19 and p < 0.0001.
        var trial = Mined.Trial("NCT01037244");

        var text = RegistryText.Of(trial);

        Assert.Contains("Trial: NCT01037244", text, StringComparison.Ordinal);
        Assert.Contains(trial.Title!, text, StringComparison.Ordinal);
        Assert.Contains("Outcome: " + trial.Outcomes[0].Title, text, StringComparison.Ordinal);
        var reported = trial.Outcomes.SelectMany(o => o.Measurements).Select(m => m.Value?.Text)
            .Concat(trial.Outcomes.SelectMany(o => o.Analyses).Select(a => a.PValue?.Text))
            .OfType<string>().Where(t => t.Length >= 4).Distinct().ToList();
        Assert.NotEmpty(reported);
        Assert.All(reported, value => Assert.DoesNotContain(value, text, StringComparison.Ordinal));
    }
}
