using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepImagine.Trials.Tests;

/// <summary>
/// The counts that data/README.md's table and the sources' SOURCE.md notes state are read from those files and checked
/// against the bundled records, so a changed file or a stale note fails here.
/// </summary>
public partial class Stating_the_bundled_counts
{
    private static string Data(params string[] parts) => Path.Combine([RepoData.Root, "data", .. parts]);

    /// <summary>The "records" and "with results" cells of the data table's row for a file or folder.</summary>
    private static (string Records, string WithResults) Row(string folder)
    {
        var line = File.ReadAllLines(Data("README.md")).Single(l => l.StartsWith($"| `{folder}", StringComparison.Ordinal));
        var cells = line.Split('|', StringSplitOptions.TrimEntries);
        return (cells[3], cells[4]);
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public void The_2023_legacy_studies_are_as_many_as_the_data_table_and_SOURCE_md_say()
    {
        var trials = SourceFiles.Read([RepoData.LegacyXml2023Folder]).Select(TrialRecordParser.Parse).ToList();
        var note = SourceNote().Match(File.ReadAllText(Data("ctgov-legacy-xml-2023", "SOURCE.md")));
        var (records, withResults) = Row("ctgov-legacy-xml-2023/");

        Assert.True(note.Success, "SOURCE.md no longer states '<n> studies, all with results; <m> with statistical analyses (<k> analyses)'");
        Assert.Equal(Number(note.Groups["studies"].Value), trials.Count);
        Assert.Equal(trials.Count, trials.Count(t => t.ResultsPosted)); // "all with results"
        Assert.Equal(Number(note.Groups["analysed"].Value), trials.Count(t => t.Outcomes.Any(o => o.Analyses.Count > 0)));
        Assert.Equal(Number(note.Groups["analyses"].Value), trials.Sum(t => t.Outcomes.Sum(o => o.Analyses.Count)));
        Assert.Equal((trials.Count, trials.Count(t => t.ResultsPosted)), (Number(records), Number(withResults)));
    }

    [GeneratedRegex(@"(?<studies>[\d,]+) studies, all with results; (?<analysed>[\d,]+) with statistical analyses \((?<analyses>[\d,]+) analyses\)")]
    private static partial Regex SourceNote();
}
