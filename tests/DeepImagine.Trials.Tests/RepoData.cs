using DeepImagine.Trials;

namespace DeepImagine.Trials.Tests;

/// <summary>The real records bundled in the repository's data/ folder (see data/README.md and each SOURCE.md).</summary>
public static class RepoData
{
    public static string Root => DeepImagine.Tests.RepoRoot.Path;

    public static string V2Studies => Path.Combine(Root, "data", "ctgov-v2-json", "studies.jsonl.gz");
    public static string LegacyXmlFolder => Path.Combine(Root, "data", "ctgov-legacy-xml", "xml");
    public static string LegacyXml2023Folder => Path.Combine(Root, "data", "ctgov-legacy-xml-2023", "xml");
    public static string ClinDrTable => Path.Combine(Root, "data", "clindr-dose-response", "metaData.csv");

    private static readonly Lazy<IReadOnlyList<SourceRecord>> V2 = new(() => SourceFiles.Read([V2Studies]).ToList());

    public static SourceRecord V2Record(string nctId) => V2.Value.Single(r => r.RecordId == nctId);

    /// <summary>A legacy XML record from either bundled legacy folder.</summary>
    public static SourceRecord LegacyRecord(string nctId) =>
        SourceFiles.ReadFile(new[] { LegacyXmlFolder, LegacyXml2023Folder }.Select(f => Path.Combine(f, nctId + ".xml")).First(File.Exists)).Single();

    public static bool IsLegacyXml(string nctId) =>
        new[] { LegacyXmlFolder, LegacyXml2023Folder }.Any(f => File.Exists(Path.Combine(f, nctId + ".xml")));

    public static Trial V2Trial(string nctId) => TrialRecordParser.Parse(V2Record(nctId));

    public static Trial LegacyTrial(string nctId) => TrialRecordParser.Parse(LegacyRecord(nctId));
}
