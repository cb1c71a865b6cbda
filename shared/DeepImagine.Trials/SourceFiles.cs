using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace DeepImagine.Trials;

/// <summary>
/// Finds the trial records in files and folders: <c>.jsonl.gz</c>/<c>.jsonl</c> (one v2 study a line), <c>.json</c>
/// (a v2 study or an array of them), <c>.xml</c> (a legacy study) and <c>.csv</c> (a clinDR dose-group table, split by protocol).
/// Files of other kinds, and CSV files that are not dose-group tables (such as an index), are listed as skipped.
/// </summary>
public static class SourceFiles
{
    public static IEnumerable<string> Expand(IEnumerable<string> paths, ICollection<string>? skipped = null)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    if (IsRecordFile(file)) yield return file;
                    else skipped?.Add(file);
                }
            }
            else if (File.Exists(path))
            {
                yield return path;
            }
            else
            {
                throw new FileNotFoundException($"no file or folder at '{path}'", path);
            }
        }
    }

    public static bool IsRecordFile(string file) =>
        file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase)
        || file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
        || file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        || file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)
        || (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && IsDoseGroupTable(file));

    /// <summary>Every record in the files and folders, in a stable order.</summary>
    public static IEnumerable<SourceRecord> Read(IEnumerable<string> paths, ICollection<string>? skipped = null) =>
        Expand(paths, skipped).SelectMany(ReadFile);

    public static IEnumerable<SourceRecord> ReadFile(string file)
    {
        if (file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.OpenRead(file);
            using var text = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8)
                : new StreamReader(stream, Encoding.UTF8);
            var lineNumber = 0;
            while (text.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Trim().Length == 0) continue;
                yield return V2Record(line, $"{Path.GetFileName(file)}:{lineNumber}");
            }
        }
        else if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var json = File.ReadAllText(file);
            var studies = new List<string>();
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind == JsonValueKind.Array)
                    studies.AddRange(doc.RootElement.EnumerateArray().Select(e => e.GetRawText()));
                else
                    studies.Add(json);
            }
            catch (JsonException)
            {
                studies.Add(json); // published as is: the consumer rejects it with the reason
            }
            var i = 0;
            foreach (var study in studies) yield return V2Record(study, $"{Path.GetFileName(file)}[{i++}]");
        }
        else if (file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
        {
            var xml = File.ReadAllText(file);
            yield return new SourceRecord(SourceRecord.CtgovXmlSource, LegacyXmlId(xml) ?? Path.GetFileNameWithoutExtension(file), RecordFormat.CtgovLegacyXml, xml);
        }
        else if (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (recordId, csv) in DoseGroupTableReader.SplitByProtocol(File.ReadAllText(file)))
                yield return new SourceRecord(SourceRecord.ClinDrSource, recordId, RecordFormat.DoseGroupTable, csv);
        }
        else
        {
            throw new NotSupportedException($"'{file}' is not a trial record file (.jsonl.gz, .jsonl, .json, .xml, .csv)");
        }
    }

    /// <summary>A v2 record keyed by its NCT id; a record without one keeps its file position so its rejection can name it.</summary>
    public static SourceRecord V2Record(string json, string fallbackId) =>
        new(SourceRecord.CtgovV2Source, V2NctId(json) ?? fallbackId, RecordFormat.CtgovV2Json, json);

    public static string? V2NctId(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Object("protocolSection").Object("identificationModule").String("nctId");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? LegacyXmlId(string xml)
    {
        var start = xml.IndexOf("<nct_id>", StringComparison.Ordinal);
        if (start < 0) return null;
        var end = xml.IndexOf("</nct_id>", start, StringComparison.Ordinal);
        return end < 0 ? null : xml[(start + 8)..end].Trim();
    }

    private static bool IsDoseGroupTable(string file)
    {
        using var reader = new StreamReader(file);
        var header = reader.ReadLine() ?? "";
        var columns = header.Split(',').Select(c => c.Trim('"', ' ')).ToHashSet(StringComparer.Ordinal);
        return columns.Contains("taid") && columns.Contains("protid") && columns.Contains("dose");
    }
}
