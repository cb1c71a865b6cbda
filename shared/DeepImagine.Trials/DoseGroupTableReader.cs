using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.VisualBasic.FileIO;

namespace DeepImagine.Trials;

/// <summary>
/// Reads one protocol's dose-group results in clinDR <c>metaData</c> layout (CSV with header) into a <see cref="Trial"/>:
/// each distinct dose group is an arm (dose 0 is the placebo group), each endpoint × population × time an outcome measure.
/// </summary>
public static partial class DoseGroupTableReader
{
    private static readonly string[] RequiredColumns = ["taid", "protid", "gname", "dose", "rslt", "endpointShort"];

    public static Trial Read(string source, string recordId, string csv)
    {
        var rows = ParseCsv(recordId, csv);
        if (rows.Count == 0) throw new TrialValidationException(recordId, "record", "a dose-group table needs a header and at least one row");
        var first = rows[0];
        var protocolKey = $"{first.Get("taid")}-{first.Get("protid")}";
        for (var i = 1; i < rows.Count; i++)
        {
            if ($"{rows[i].Get("taid")}-{rows[i].Get("protid")}" != protocolKey)
                throw new TrialValidationException(recordId, $"row {i + 1}.taid/protid", $"rows of one record must share one protocol ({protocolKey})");
        }

        if (!ProtocolIdPattern().IsMatch(first.Get("taid")!) || !ProtocolIdPattern().IsMatch(first.Get("protid")!))
            throw new TrialValidationException(recordId, "row 2.taid/protid", $"'{protocolKey}' is not a protocol key (letters, digits, '.', '_' or '-')");
        if (recordId != RecordId(first.Get("taid")!, first.Get("protid")!))
            throw new TrialValidationException(recordId, "sourceRecordId", $"'{recordId}' does not match the table's protocol '{RecordId(first.Get("taid")!, first.Get("protid")!)}'");

        var drug = first.Get("gname")!;
        var arms = new List<Arm>();
        var armByKey = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcomes = new List<(string Key, OutcomeMeasure Measure, List<Measurement> Values)>();
        foreach (var (row, rowIndex) in rows.Select((r, i) => (r, i)))
        {
            var doseText = row.Get("dose");
            var dose = ReportedNumber.Parse(doseText);
            if (dose?.Value is not { } amount)
                throw new TrialValidationException(recordId, $"row {rowIndex + 2}.dose", $"'{doseText}' is not a dose");
            var regimen = row.Get("regimen");
            var armKey = string.Join('|', amount.ToString(CultureInfo.InvariantCulture), regimen, row.Get("tload"), row.Get("nload"));
            if (!armByKey.TryGetValue(armKey, out var armLabel))
            {
                armLabel = amount == 0
                    ? "Placebo"
                    : $"{drug} {amount.ToString(CultureInfo.InvariantCulture)}{(regimen is null ? "" : " " + regimen)}";
                if (armByKey.ContainsValue(armLabel)) armLabel = $"{armLabel} ({armByKey.Count + 1})";
                armByKey[armKey] = armLabel;
                var isBiologic = (row.Get("drugtype") ?? "").Contains("BIOLOGIC", StringComparison.OrdinalIgnoreCase);
                arms.Add(new Arm
                {
                    Label = armLabel,
                    Type = amount == 0 ? ArmTypes.PlaceboComparator : ArmTypes.Experimental,
                    Description = amount == 0 ? "dose 0 (placebo group)" : $"{(isBiologic ? "total weekly" : "total daily")} dose {amount.ToString(CultureInfo.InvariantCulture)}",
                    Interventions =
                    [
                        new ArmIntervention
                        {
                            Name = amount == 0 ? "Placebo" : drug,
                            Type = "DRUG",
                            IsPlacebo = amount == 0,
                            // clinDR doses are mg or mg/kg without saying which, so the unit stays unknown.
                            Dose = new Dose(amount, null, Frequency(regimen), Route(row.Get("route")),
                                $"{amount.ToString(CultureInfo.InvariantCulture)} ({(isBiologic ? "total weekly" : "total daily")} dose{(regimen is null ? "" : ", " + regimen)})",
                                DoseProvenance.DoseTable),
                        },
                    ],
                });
            }

            var endpoint = row.Get("endpointShort")!;
            var outcomeKey = string.Join('|', row.Get("etype"), row.Get("poptype"), endpoint, row.Get("primtime"), row.Get("timeunit"));
            var outcome = outcomes.FirstOrDefault(o => o.Key == outcomeKey);
            if (outcome.Measure is null)
            {
                var binary = string.Equals(row.Get("primtype"), "BINARY", StringComparison.OrdinalIgnoreCase);
                outcome = (outcomeKey, new OutcomeMeasure
                {
                    Id = $"O{outcomes.Count}",
                    Kind = row.Get("etype") == "1" ? OutcomeKinds.Primary : OutcomeKinds.Secondary,
                    Title = row.Get("endpointLong") ?? endpoint,
                    Description = $"{endpoint}; endpoint type {row.Get("primtype")}; population {row.Get("poptype")}; source {row.Get("primsource")}",
                    TimeFrame = row.Get("primtime") is { } t ? $"{t} {row.Get("timeunit")}".Trim() : null,
                    Unit = binary ? "proportion of participants" : null,
                    ParamType = binary ? "PROPORTION" : "MEAN",
                    DispersionType = row.Get("se") is not null ? "STANDARD_ERROR" : row.Get("sd") is not null ? "STANDARD_DEVIATION" : null,
                }, []);
                outcomes.Add(outcome);
            }
            var n = ReportedNumber.ParseCount(row.Get("sampsize")) ?? ReportedNumber.ParseCount(row.Get("ittsize"));
            var value = ReportedNumber.Parse(row.Get("rslt"));
            if (value is { IsNumeric: false })
                throw new TrialValidationException(recordId, $"row {rowIndex + 2}.rslt", $"'{value.Text}' is not a number");
            outcome.Values.Add(new Measurement
            {
                GroupId = armLabel,
                Value = value,
                Spread = ReportedNumber.Parse(row.Get("se")) ?? ReportedNumber.Parse(row.Get("sd")),
                LowerLimit = ReportedNumber.Parse(row.Get("lcl")),
                UpperLimit = ReportedNumber.Parse(row.Get("ucl")),
                N = n,
            });
        }

        var nct = first.Get("nctno");
        var year = first.Get("protyear");
        return new Trial
        {
            TrialId = recordId,
            Source = source,
            SourceRecordId = recordId,
            Format = RecordFormat.DoseGroupTable,
            NctId = nct,
            Title = $"{drug} dose-response, protocol {first.Get("protno") ?? protocolKey} ({first.Get("indication")})",
            StudyType = "INTERVENTIONAL",
            Conditions = first.Get("indication") is { } indication ? [indication] : [],
            Design = new StudyDesign
            {
                Allocation = "RANDOMIZED",
                InterventionModel = Normalize.Token(first.Get("design")),
                PrimaryPurpose = "TREATMENT",
            },
            Enrollment = rows.GroupBy(r => string.Join('|', r.Get("dose"), r.Get("regimen"), r.Get("tload"), r.Get("nload")))
                .Sum(g => g.Max(r => ReportedNumber.ParseCount(r.Get("ittsize")) ?? ReportedNumber.ParseCount(r.Get("sampsize")) ?? 0)) is var total && total > 0 ? total : null,
            StartDate = year,
            ResultsPosted = true,
            Interventions = [new Intervention { Name = drug, Type = "DRUG", OtherNames = first.Get("bname") is { } b ? [b] : [], ArmLabels = arms.Where(a => a.Type != ArmTypes.PlaceboComparator).Select(a => a.Label).ToList() }],
            Arms = arms,
            Outcomes = outcomes.Select(o => o.Measure with
            {
                Groups = o.Values.Select(v => v.GroupId).Distinct().Select(g => new ResultGroup
                {
                    Id = g, Title = g, ArmLabel = g,
                    ParticipantsAnalyzed = o.Values.First(v => v.GroupId == g).N,
                }).ToList(),
                Measurements = o.Values,
            }).ToList(),
        };
    }

    /// <summary>Splits a whole clinDR table into one CSV text (header + rows) per protocol (taid, protid), in file order.</summary>
    public static IEnumerable<(string RecordId, string Csv)> SplitByProtocol(string csv)
    {
        using var parser = CsvParser(csv);
        var columns = parser.ReadFields() ?? throw new TrialValidationException("dose-group table", "header", "the table is empty");
        var taid = Array.IndexOf(columns, "taid");
        var protid = Array.IndexOf(columns, "protid");
        if (taid < 0 || protid < 0) throw new TrialValidationException("dose-group table", "header", "columns taid and protid are required");
        var header = ToCsvLine(columns);
        var order = new List<string>();
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        while (!parser.EndOfData)
        {
            var fields = parser.ReadFields();
            if (fields is null || fields.All(string.IsNullOrWhiteSpace)) continue;
            var key = RecordId(fields[taid], fields[protid]);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
                order.Add(key);
            }
            list.Add(ToCsvLine(fields));
        }
        foreach (var key in order)
        {
            yield return (key, header + "\n" + string.Join("\n", groups[key]) + "\n");
        }
    }

    /// <summary>The record id of one clinDR protocol.</summary>
    public static string RecordId(string taid, string protid) => $"clinDR:{taid}-{protid}";

    private static string ToCsvLine(IEnumerable<string> fields) => string.Join(',', fields.Select(f =>
        f.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : f));

    private sealed class Row(Dictionary<string, int> columns, string[] fields)
    {
        public string? Get(string column) =>
            columns.TryGetValue(column, out var i) && i < fields.Length && fields[i].Trim() is { Length: > 0 } v && v != "NA" ? v : null;
    }

    private static List<Row> ParseCsv(string recordId, string csv)
    {
        using var parser = CsvParser(csv);
        string[]? header;
        try
        {
            header = parser.ReadFields();
        }
        catch (MalformedLineException ex)
        {
            throw new TrialValidationException(recordId, "header", $"not valid CSV: {ex.Message}");
        }
        if (header is null) return [];
        var columns = header.Select((h, i) => (h.Trim(), i)).ToDictionary(x => x.Item1, x => x.i, StringComparer.Ordinal);
        foreach (var required in RequiredColumns)
        {
            if (!columns.ContainsKey(required)) throw new TrialValidationException(recordId, required, $"missing: the table has no '{required}' column");
        }
        var rows = new List<Row>();
        while (!parser.EndOfData)
        {
            string[]? fields;
            try
            {
                fields = parser.ReadFields();
            }
            catch (MalformedLineException ex)
            {
                throw new TrialValidationException(recordId, $"row {parser.ErrorLineNumber}", $"not valid CSV: {ex.Message}");
            }
            if (fields is null || fields.All(string.IsNullOrWhiteSpace)) continue;
            var row = new Row(columns, fields);
            RejectFormulaCells(recordId, rows.Count + 2, header, fields);
            foreach (var required in new[] { "taid", "protid", "gname" })
            {
                if (row.Get(required) is null) throw new TrialValidationException(recordId, $"row {rows.Count + 2}.{required}", "missing");
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>
    /// A cell that a spreadsheet would run as a formula (=, +, -, @ first, or a leading tab / carriage return; OWASP's
    /// CSV-injection list) is rejected unless it is a number (-0.5, +3) or a missing marker: no real clinDR cell is one,
    /// and the text would travel into exports that people open in spreadsheets.
    /// </summary>
    private static void RejectFormulaCells(string recordId, int rowNumber, string[] header, string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            var cell = fields[i];
            if (cell.Length == 0 || cell[0] is not ('=' or '+' or '-' or '@' or '\t' or '\r')) continue;
            if (cell is "-" or "--" || ReportedNumber.Parse(cell) is { IsNumeric: true }) continue;
            var column = i < header.Length ? header[i].Trim() : $"column {i + 1}";
            throw new TrialValidationException(recordId, $"row {rowNumber}.{column}", $"'{cell}' starts like a spreadsheet formula; such cells are not accepted");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}\\z")]
    private static partial Regex ProtocolIdPattern();

    private static TextFieldParser CsvParser(string text) => new(new StringReader(text))
    {
        TextFieldType = FieldType.Delimited,
        Delimiters = [","],
        HasFieldsEnclosedInQuotes = true,
        TrimWhiteSpace = false,
    };

    private static string? Frequency(string? regimen) => regimen is null ? null : DoseParser.FindFrequency(regimen) ?? regimen;

    private static string? Route(string? route) => route is null ? null : DoseParser.FindRoute(route.ToLowerInvariant()) ?? route.ToLowerInvariant();
}
