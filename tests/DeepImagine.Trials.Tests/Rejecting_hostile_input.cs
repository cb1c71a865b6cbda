using System.Diagnostics;
using DeepImagine.Tests;

namespace DeepImagine.Trials.Tests;

/// <summary>The hostile-input corpus (tests/HostileCorpus.cs) through the parser every consumer and the HTTP API use.</summary>
public class Rejecting_hostile_input
{
    public static TheoryData<string> Cases() => new(HostileCorpus.All.Select(c => c.Name));

    private static HostileCase Case(string name) => HostileCorpus.All.Single(c => c.Name == name);

    [Fact]
    public void The_corpus_has_at_least_200_records_with_distinct_names()
    {
        Assert.True(HostileCorpus.All.Count >= 200, $"only {HostileCorpus.All.Count} hostile records");
        Assert.Equal(HostileCorpus.All.Count, HostileCorpus.All.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_record_is_rejected_naming_its_field_or_accepted_where_valid(string name)
    {
        var hostile = Case(name);
        var clock = Stopwatch.StartNew();
        if (hostile.ShouldBeAccepted)
        {
            var trial = TrialRecordParser.Parse(hostile.Record);
            // What storage does with an accepted trial: it must serialize (no NaN or infinity in the jsonb document).
            Assert.NotEmpty(TrialJson.Serialize(trial));
            Assert.Equal(hostile.Record.RecordId, trial.SourceRecordId);
        }
        else
        {
            var rejected = Assert.Throws<TrialValidationException>(() => TrialRecordParser.Parse(hostile.Record));
            Assert.Equal(hostile.ExpectedField, rejected.Field);
            Assert.False(string.IsNullOrWhiteSpace(rejected.Reason));
        }
        // A hostile record must not hold a consumer for long (entity expansion, quadratic work).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{name} took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
