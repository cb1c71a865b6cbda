using System.Xml.Linq;

namespace DeepImagine.Trials.Tests;

/// <summary>Every record of the four bundled sources parses, and the counts are those their SOURCE.md states.</summary>
public class Reading_the_bundled_sources
{
    [Fact]
    public void Parses_every_v2_study_with_the_counts_of_its_source_note()
    {
        var trials = SourceFiles.Read([RepoData.V2Studies]).Select(TrialRecordParser.Parse).ToList();
        var posted = trials.Where(t => t.ResultsPosted).ToList();

        // data/ctgov-v2-json/SOURCE.md: 812 studies, 71 with results; 158 arm groups in result studies;
        // 669 posted outcome measures; 2,842 measurement values; 491 statistical analyses.
        Assert.Equal(812, trials.Count);
        Assert.Equal(812, trials.Select(t => t.TrialId).Distinct().Count());
        Assert.Equal(71, posted.Count);
        Assert.Equal(158, posted.Sum(t => t.Arms.Count));
        Assert.Equal(669, posted.Sum(t => t.Outcomes.Count));
        Assert.Equal(2842, posted.Sum(t => t.Outcomes.Sum(o => o.Measurements.Count)));
        Assert.Equal(491, posted.Sum(t => t.Outcomes.Sum(o => o.Analyses.Count)));
        // All but the values the records leave empty (each with a comment saying why) are numbers.
        var notNumeric = posted.SelectMany(t => t.Outcomes).SelectMany(o => o.Measurements).Where(m => m.Value?.IsNumeric != true).ToList();
        Assert.Equal(6, notNumeric.Count);
        Assert.All(notNumeric, m => Assert.Null(m.Value));
    }

    [Fact]
    public void Parses_every_legacy_xml_study_with_the_counts_of_its_source_note()
    {
        var trials = SourceFiles.Read([RepoData.LegacyXmlFolder]).Select(TrialRecordParser.Parse).ToList();
        var posted = trials.Where(t => t.ResultsPosted).ToList();

        // data/ctgov-legacy-xml/SOURCE.md: 146 studies; 39 with results; 99 arm groups in those; 391 result outcomes.
        Assert.Equal(146, trials.Count);
        Assert.Equal(39, posted.Count);
        Assert.Equal(99, posted.Sum(t => t.Arms.Count));
        Assert.Equal(391, posted.Sum(t => t.Outcomes.Count));

        // SOURCE.md's 4,653 <measurement> elements also count baseline tables and the "Number of Participants"
        // rows of older records (which become each group's N). Count the outcome values directly from the XML.
        var outcomeValues = Directory.EnumerateFiles(RepoData.LegacyXmlFolder, "*.xml").Sum(file =>
        {
            var outcomes = XDocument.Load(file).Root!.Element("clinical_results")?.Element("outcome_list")?.Elements("outcome") ?? [];
            return outcomes.Sum(o =>
            {
                var measures = o.Element("measure") is { } m ? [m] : o.Element("measure_list")?.Elements("measure").ToList() ?? [];
                if (measures.Count > 1 && measures[0].Element("title")!.Value.Trim() == "Number of Participants") measures = measures.Skip(1).ToList();
                return measures.Sum(x => x.Descendants("measurement").Count());
            });
        });
        var allElements = Directory.EnumerateFiles(RepoData.LegacyXmlFolder, "*.xml").Sum(f => XDocument.Load(f).Descendants("measurement").Count());
        Assert.Equal(4653, allElements);
        Assert.Equal(outcomeValues, posted.Sum(t => t.Outcomes.Sum(o => o.Measurements.Count)));
        Assert.Equal(410, posted.Sum(t => t.Outcomes.Sum(o => o.Analyses.Count)));
    }

    [Fact]
    public void Parses_every_2023_legacy_xml_study_with_the_counts_of_its_source_note()
    {
        var trials = SourceFiles.Read([RepoData.LegacyXml2023Folder]).Select(TrialRecordParser.Parse).ToList();

        // data/ctgov-legacy-xml-2023/SOURCE.md: 361 studies, all with results; 111 with statistical analyses (696 analyses).
        Assert.Equal(361, trials.Count);
        Assert.Equal(361, trials.Select(t => t.TrialId).Distinct().Count());
        Assert.Equal(361, trials.Count(t => t.ResultsPosted));
        Assert.Equal(111, trials.Count(t => t.Outcomes.Any(o => o.Analyses.Count > 0)));
        Assert.Equal(696, trials.Sum(t => t.Outcomes.Sum(o => o.Analyses.Count)));
    }

    [Fact]
    public void Turns_every_clinDR_protocol_into_a_trial_of_dose_groups()
    {
        var trials = SourceFiles.Read([RepoData.ClinDrTable]).Select(TrialRecordParser.Parse).ToList();

        // data/clindr-dose-response/SOURCE.md: 1,304 rows, 320 protocols, 313 with >= 3 distinct doses.
        Assert.Equal(320, trials.Count);
        Assert.Equal(1304, trials.Sum(t => t.Outcomes.Sum(o => o.Measurements.Count)));
        Assert.Equal(313, trials.Count(t => t.Arms.Select(a => a.Interventions[0].Dose!.Amount).Distinct().Count() >= 3));
        Assert.All(trials, t => Assert.True(t.HasResults));
        Assert.All(trials.SelectMany(t => t.Arms), a => Assert.True(a.Interventions[0].Dose!.IsParsed));
    }

    [Fact]
    public void Skips_the_index_files_beside_the_records()
    {
        var skipped = new List<string>();
        var records = SourceFiles.Read([Path.Combine(RepoData.Root, "data")], skipped).ToList();

        Assert.Equal(812 + 146 + 361 + 320, records.Count);
        Assert.Contains(skipped, f => f.EndsWith("index.csv", StringComparison.Ordinal));
        Assert.DoesNotContain(skipped, f => f.EndsWith("metaData.csv", StringComparison.Ordinal));
    }
}
