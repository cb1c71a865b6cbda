using System.Text;
using System.Text.Json.Nodes;
using DeepImagine.Trials;

namespace DeepImagine.Tests;

/// <summary>
/// One hostile record and what must happen to it: rejected naming <see cref="ExpectedField"/>, or accepted
/// (<see cref="ExpectedField"/> null) because it is in fact valid, for the reason in <see cref="Why"/>.
/// </summary>
public sealed record HostileCase(string Name, SourceRecord Record, string? ExpectedField, string Why)
{
    public bool ShouldBeAccepted => ExpectedField is null;

    /// <summary>
    /// False for a record holding a lone UTF-16 surrogate: it cannot cross the bus as itself, since the publisher's UTF-8
    /// encoding turns it into U+FFFD (what arrives is then the valid "invalid UTF-8" case). The parser tests cover it.
    /// </summary>
    public bool CanCrossTheBus => System.Text.Unicode.Utf8.FromUtf16(Record.Text, new byte[Encoding.UTF8.GetMaxByteCount(Record.Text.Length)],
        out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done;
    public override string ToString() => Name;
}

/// <summary>
/// The hostile-input corpus: every record derived from a real bundled record (one v2 study, one legacy XML study,
/// one clinDR protocol) by one kind of damage or attack, so that whatever is not the attack is known to be valid.
/// Generated rather than stored: huge and deeply nested records would otherwise bloat the repository.
/// Used by the parser tests, the live bus test and <c>make test-faults</c>.
/// </summary>
public static class HostileCorpus
{
    private const string V2Id = "NCT00738400";
    private const string XmlId = "NCT02305381";
    private const string ClinDrId = "clinDR:1-2";
    private const string NctField = "protocolSection.identificationModule.nctId";

    public static IReadOnlyList<HostileCase> All { get; } = Build();

    private static IReadOnlyList<HostileCase> Build()
    {
        var root = RepoRoot.Path;
        var v2 = SourceFiles.Read([Path.Combine(root, "data", "ctgov-v2-json", "studies.jsonl.gz")]).Single(r => r.RecordId == V2Id).Text;
        var xml = SourceFiles.ReadFile(Path.Combine(root, "data", "ctgov-legacy-xml", "xml", XmlId + ".xml")).Single().Text;
        var csv = SourceFiles.Read([Path.Combine(root, "data", "clindr-dose-response", "metaData.csv")]).Single(r => r.RecordId == ClinDrId).Text;
        var cases = new List<HostileCase>();
        cases.AddRange(Json(v2));
        cases.AddRange(Xml(xml));
        cases.AddRange(Csv(csv));
        cases.AddRange(Envelope(v2));
        return cases;
    }

    private static HostileCase V2(string name, string text, string? field, string why, string recordId = V2Id) =>
        new("json: " + name, new SourceRecord(SourceRecord.CtgovV2Source, recordId, RecordFormat.CtgovV2Json, text), field, why);

    private static string Edit(string json, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return node.ToJsonString();
    }

    private static JsonObject Identification(JsonObject study) => study["protocolSection"]!["identificationModule"]!.AsObject();

    private static JsonObject FirstMeasurement(JsonObject study) =>
        study["resultsSection"]!["outcomeMeasuresModule"]!["outcomeMeasures"]![0]!["classes"]![0]!["categories"]![0]!["measurements"]![0]!.AsObject();

    private static IEnumerable<HostileCase> Json(string v2)
    {
        const string malformed = "record";
        // Truncated anywhere: never balanced, so never well-formed.
        for (var i = 1; i <= 40; i++)
        {
            var cut = (int)((long)v2.Length * i / 41);
            yield return V2($"truncated at {cut} of {v2.Length}", v2[..cut], malformed, "truncated JSON is not well-formed");
        }
        foreach (var (name, text) in new[]
        {
            ("trailing comma", v2[..^1] + ",}"),
            ("single-quoted key", "{'protocolSection':" + v2[1..]),
            ("unquoted key", "{protocolSection:" + v2[("{\"protocolSection\":".Length)..]),
            ("comment", "/* hostile */" + v2),
            ("two documents", v2 + v2),
            ("NaN literal", v2.Insert(1, "\"x\":NaN,")),
            ("Infinity literal", v2.Insert(1, "\"x\":Infinity,")),
            ("minus Infinity literal", v2.Insert(1, "\"x\":-Infinity,")),
            ("hexadecimal number", v2.Insert(1, "\"x\":0x1F,")),
            ("leading zeros", v2.Insert(1, "\"x\":007,")),
            ("control character in a string", v2.Insert(1, "\"x\":\"a\u0001b\",")),
            ("bad escape", v2.Insert(1, "\"x\":\"\\q\",")),
            ("unterminated string", "{\"protocolSection\":\"abc"),
            ("only a brace", "{"),
            ("garbage", "<html><body>502 Bad Gateway</body></html>"),
            ("XML sent as JSON", "<?xml version=\"1.0\"?><clinical_study/>"),
            ("deep nesting 200 arrays", v2.Insert(1, "\"x\":" + new string('[', 200) + new string(']', 200) + ",")),
            ("deep nesting 1000 objects", v2.Insert(1, "\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000) + ",")),
            ("duplicated nctId", v2.Insert(1, "\"protocolSection\":{\"identificationModule\":{\"nctId\":\"NCT99999999\"}},")),
            ("duplicated key inside a module", v2.Replace("\"nctId\":\"" + V2Id + "\"", "\"nctId\":\"" + V2Id + "\",\"nctId\":\"NCT99999999\"", StringComparison.Ordinal)),
        })
        {
            yield return V2(name, text, malformed, "not well-formed JSON (or a repeated key, which leaves the value ambiguous)");
        }
        foreach (var (name, text) in new[] { ("array root", "[" + v2 + "]"), ("null root", "null"), ("number root", "42"), ("string root", "\"" + V2Id + "\""), ("true root", "true") })
            yield return V2(name, text, malformed, "a v2 study must be a JSON object");
        yield return V2("empty object", "{}", "protocolSection", "no protocolSection");
        yield return V2("protocolSection is an array", Edit(v2, s => s["protocolSection"] = new JsonArray()), "protocolSection", "protocolSection must be an object");
        yield return V2("protocolSection is a string", Edit(v2, s => s["protocolSection"] = "x"), "protocolSection", "protocolSection must be an object");
        yield return V2("protocolSection is null", Edit(v2, s => s["protocolSection"] = null), "protocolSection", "protocolSection must be an object");
        yield return V2("identificationModule missing", Edit(v2, s => s["protocolSection"]!.AsObject().Remove("identificationModule")), NctField, "no NCT id");
        yield return V2("identificationModule is a number", Edit(v2, s => s["protocolSection"]!["identificationModule"] = 5), "identificationModule", "wrong type");
        yield return V2("nctId missing", Edit(v2, s => Identification(s).Remove("nctId")), NctField, "no NCT id");
        yield return V2("nctId null", Edit(v2, s => Identification(s)["nctId"] = null), NctField, "no NCT id");
        yield return V2("nctId empty", Edit(v2, s => Identification(s)["nctId"] = ""), NctField, "no NCT id");
        yield return V2("nctId a number", Edit(v2, s => Identification(s)["nctId"] = 738400), NctField, "not an NCT id");
        yield return V2("nctId true", Edit(v2, s => Identification(s)["nctId"] = true), NctField, "not an NCT id");
        yield return V2("nctId an object", Edit(v2, s => Identification(s)["nctId"] = new JsonObject { ["id"] = V2Id }), NctField, "no NCT id");
        foreach (var id in new[]
        {
            "NCT00738400'; drop table trials; --", "NCT00738400\" or \"1\"=\"1", "NCT../../../etc/passwd", "NCT00738400/../../x",
            "NCT00738400\\..\\..\\windows", "NCT%2e%2e%2f", "NCT0073840", "NCT007384000", "nct00738400", "NCT00738400 ",
            "NCT0073840O", "NCT00738400\n", "NCT00738400;", "NCT00738400$(reboot)", "NCT00738400`id`", "NCT00738400<script>",
        })
        {
            yield return V2("nctId " + Describe(id), Edit(v2, s => Identification(s)["nctId"] = id), NctField, "ids are NCT and 8 digits: nothing else becomes a storage key or URL path", recordId: id);
        }
        const string countField = "protocolSection.designModule.enrollmentInfo.count";
        foreach (var (name, count) in new (string, JsonNode?)[] { ("a word", "many"), ("negative", -5), ("fractional", 1.5), ("too large", 3_000_000_000L), ("an array", new JsonArray(1)), ("true", true) })
            yield return V2("enrollment count " + name, Edit(v2, s => s["protocolSection"]!["designModule"]!["enrollmentInfo"]!["count"] = count), countField, "not a participant count");
        yield return V2("enrollment count 1e400", v2.Replace("\"enrollmentInfo\":{\"count\":", "\"enrollmentInfo\":{\"count\":1e400,\"was\":", StringComparison.Ordinal), countField, "not a participant count");
        yield return V2("armGroups is an object", Edit(v2, s => s["protocolSection"]!["armsInterventionsModule"]!["armGroups"] = new JsonObject()), "armGroups", "wrong type");
        yield return V2("armGroups is a string", Edit(v2, s => s["protocolSection"]!["armsInterventionsModule"]!["armGroups"] = "two arms"), "armGroups", "wrong type");
        yield return V2("interventions is a number", Edit(v2, s => s["protocolSection"]!["armsInterventionsModule"]!["interventions"] = 3), "interventions", "wrong type");
        yield return V2("outcome measures is an object", Edit(v2, s => s["resultsSection"]!["outcomeMeasuresModule"]!["outcomeMeasures"] = new JsonObject()), "outcomeMeasures", "wrong type");
        yield return V2("measurements is a string", Edit(v2, s => s["resultsSection"]!["outcomeMeasuresModule"]!["outcomeMeasures"]![0]!["classes"]![0]!["categories"]![0]!["measurements"] = "none"), "measurements", "wrong type");
        yield return V2("arm without a label", Edit(v2, s => s["protocolSection"]!["armsInterventionsModule"]!["armGroups"]![0]!.AsObject().Remove("label")),
            "protocolSection.armsInterventionsModule.armGroups[0].label", "an arm needs a label");
        const string groupField = "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[0].groupId";
        foreach (var (name, group) in new (string, JsonNode?)[] { ("unknown", "OG999"), ("missing", null), ("a number", 1), ("an id of another outcome's kind", "BG000"), ("SQL", "OG000' or '1'='1") })
            yield return V2("result referencing a group that is " + name, Edit(v2, s => FirstMeasurement(s)["groupId"] = group), groupField, "results must reference a group of their outcome measure");
        yield return V2("NUL escape in the title", Edit(v2, s => Identification(s)["briefTitle"] = "a\u0000b"), "record", "PostgreSQL text cannot hold NUL");
        yield return V2("raw NUL in the title", v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"\0", StringComparison.Ordinal), "record", "PostgreSQL text cannot hold NUL");
        yield return V2("escaped lone surrogate", v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"\\ud800", StringComparison.Ordinal), "record", "not valid Unicode");
        yield return V2("raw lone surrogate", v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"\ud800", StringComparison.Ordinal), "record", "not valid Unicode");
        yield return V2("9 M characters", v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"" + new string('A', 9 * 1024 * 1024), StringComparison.Ordinal), "record", "over the 8 M character limit");
        yield return V2("an array of 4.5 M elements", v2.Insert(1, "\"x\":[" + string.Join(',', Enumerable.Repeat('1', 4_500_000)) + "],"), "record", "over the 8 M character limit");

        // Valid after all: hostile-looking but well-formed studies that mean what they say.
        yield return V2("invalid UTF-8 bytes in the title (decoded as files are read)",
            Decode(Encoding.UTF8.GetBytes(v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"@@", StringComparison.Ordinal)), "@@"u8, [0xC3, 0x28, 0xFF]),
            null, "readers decode UTF-8 with replacement (U+FFFD), so the record is valid text; nothing else changes");
        yield return V2("overlong UTF-8 encoding of '/' in the title (decoded as files are read)",
            Decode(Encoding.UTF8.GetBytes(v2.Replace("\"briefTitle\":\"", "\"briefTitle\":\"@@", StringComparison.Ordinal)), "@@"u8, [0xC0, 0xAF]),
            null, "an overlong sequence decodes to U+FFFD, never to '/'");
        yield return V2("a 1 M character title", Edit(v2, s => Identification(s)["briefTitle"] = new string('B', 1024 * 1024)), null, "long but under the record limit; stored as text");
        yield return V2("20,000 conditions", Edit(v2, s => s["protocolSection"]!["conditionsModule"]!["conditions"] = new JsonArray(Enumerable.Range(0, 20_000).Select(i => (JsonNode)JsonValue.Create($"condition {i}")).ToArray())), null, "large but under the record limit");
        yield return V2("nesting 100 deep in an unknown field", v2.Insert(1, "\"x\":" + new string('[', 100) + new string(']', 100) + ","), null, "within the reader's depth limit (128); unknown fields are ignored");
        yield return V2("spreadsheet formula as the title", Edit(v2, s => Identification(s)["briefTitle"] = "=HYPERLINK(\"http://evil.example\",\"click\")"), null, "a title is text in JSON; it is never written to a spreadsheet (exports are JSON lines)");
        yield return V2("SQL in the title", Edit(v2, s => Identification(s)["briefTitle"] = "x'); drop table trials; --"), null, "all SQL is parameterized; the title is data");
        yield return V2("script in a description", Edit(v2, s => s["protocolSection"]!["armsInterventionsModule"]!["armGroups"]![0]!["description"] = "<script>alert(1)</script>"), null, "text is returned as JSON, never rendered as HTML");
        yield return V2("NaN as a reported value", Edit(v2, s => FirstMeasurement(s)["value"] = "NaN"), null, "'NaN' is a missing marker: not reported");
        yield return V2("Infinity as a reported value", Edit(v2, s => FirstMeasurement(s)["value"] = "Infinity"), null, "not a number, so it stays text with no value");
        yield return V2("1e999 as a reported value", Edit(v2, s => FirstMeasurement(s)["value"] = "1e999"), null, "overflows, so it stays text with no value");
        yield return V2("1e300 x10^300 as a reported value", Edit(v2, s => FirstMeasurement(s)["value"] = "1e300 x10^300"), null, "overflows, so it stays text with no value");
        yield return V2("a huge exponent as a reported value", Edit(v2, s => FirstMeasurement(s)["value"] = "1 x10^99999999999"), null, "an exponent that is no integer leaves the value text");
        yield return V2("a number where a string belongs (value)", Edit(v2, s => FirstMeasurement(s)["value"] = 7.5), null, "a JSON number reads as its text, the same number");
        yield return V2("unknown extra fields", Edit(v2, s => s["x-hostile"] = new JsonObject { ["__proto__"] = "polluted", ["constructor"] = 1 }), null, "unknown fields are ignored; nothing evaluates them");
        yield return V2("a byte-order mark first", "\uFEFF" + v2, "record", "inside a message a BOM is not JSON (file and HTTP readers strip it before)");
    }

    private static IEnumerable<HostileCase> Xml(string xml)
    {
        HostileCase X(string name, string text, string? field, string why, string recordId = XmlId) =>
            new("xml: " + name, new SourceRecord(SourceRecord.CtgovXmlSource, recordId, RecordFormat.CtgovLegacyXml, text), field, why);
        var body = xml[(xml.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        string WithDoctype(string doctype) => "<?xml version=\"1.0\"?>\n" + doctype + body;
        for (var i = 1; i <= 30; i++)
        {
            var cut = (int)((long)xml.Length * i / 31);
            yield return X($"truncated at {cut} of {xml.Length}", xml[..cut], "record", "truncated XML is not well-formed");
        }
        const string dtd = "DTDs are prohibited: they carry external entities and entity expansion";
        yield return X("benign internal DTD", WithDoctype("<!DOCTYPE clinical_study [<!ELEMENT clinical_study ANY>]>"), "record", dtd);
        yield return X("XXE: file", WithDoctype("<!DOCTYPE clinical_study [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>").Replace("<brief_title>", "<brief_title>&xxe;", StringComparison.Ordinal), "record", dtd);
        yield return X("XXE: http", WithDoctype("<!DOCTYPE clinical_study [<!ENTITY xxe SYSTEM \"http://169.254.169.254/latest/meta-data/\">]>").Replace("<brief_title>", "<brief_title>&xxe;", StringComparison.Ordinal), "record", dtd);
        yield return X("XXE: parameter entity", WithDoctype("<!DOCTYPE clinical_study [<!ENTITY % p SYSTEM \"file:///etc/shadow\"> %p;]>"), "record", dtd);
        yield return X("external DTD", WithDoctype("<!DOCTYPE clinical_study SYSTEM \"http://evil.example/x.dtd\">"), "record", dtd);
        var laughs = new StringBuilder("<!DOCTYPE clinical_study [<!ENTITY lol0 \"lol\">");
        for (var i = 1; i <= 9; i++) laughs.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}\">");
        laughs.Append("]>");
        yield return X("billion laughs", WithDoctype(laughs.ToString()).Replace("<brief_title>", "<brief_title>&lol9;", StringComparison.Ordinal), "record", dtd);
        yield return X("quadratic blowup", WithDoctype($"<!DOCTYPE clinical_study [<!ENTITY a \"{new string('a', 50_000)}\">]>").Replace("<brief_title>", "<brief_title>" + string.Concat(Enumerable.Repeat("&a;", 5_000)), StringComparison.Ordinal), "record", dtd);
        yield return X("undeclared entity", xml.Replace("<brief_title>", "<brief_title>&undeclared;", StringComparison.Ordinal), "record", "an undeclared entity is not well-formed");
        yield return X("NUL character reference", xml.Replace("<brief_title>", "<brief_title>&#0;", StringComparison.Ordinal), "record", "NUL is not an XML character");
        yield return X("control character reference", xml.Replace("<brief_title>", "<brief_title>&#x1;", StringComparison.Ordinal), "record", "U+0001 is not an XML 1.0 character");
        yield return X("two root elements", xml + "<clinical_study/>", "record", "not well-formed");
        yield return X("mismatched tags", xml.Replace("</brief_title>", "</official_title>", StringComparison.Ordinal), "record", "not well-formed");
        yield return X("JSON sent as XML", "{\"protocolSection\":{}}", "record", "not XML");
        yield return X("9 M characters", xml.Replace("<brief_title>", "<brief_title>" + new string('A', 9 * 1024 * 1024), StringComparison.Ordinal), "record", "over the 8 M character limit");
        yield return X("wrong root element", "<?xml version=\"1.0\"?><study><id_info><nct_id>" + XmlId + "</nct_id></id_info></study>", "clinical_study", "the root must be clinical_study");
        yield return X("no nct_id", xml.Replace("<nct_id>" + XmlId + "</nct_id>", "", StringComparison.Ordinal), "clinical_study/id_info/nct_id", "no NCT id");
        foreach (var id in new[] { "NCT02305381' or 1=1 --", "../../etc/passwd", "NCT0230538", "NCT02305381/../x" })
        {
            yield return X("nct_id " + Describe(id), xml.Replace("<nct_id>" + XmlId + "</nct_id>", "<nct_id>" + System.Security.SecurityElement.Escape(id) + "</nct_id>", StringComparison.Ordinal),
                "clinical_study/id_info/nct_id", "ids are NCT and 8 digits", recordId: id);
        }
        yield return X("enrollment is a word", ReplaceElement(xml, "enrollment", "many"), "clinical_study/enrollment", "not a participant count");
        yield return X("enrollment is negative", ReplaceElement(xml, "enrollment", "-3"), "clinical_study/enrollment", "not a participant count");
        yield return X("arm group without a label", ReplaceElement(xml, "arm_group_label", ""), "clinical_study/arm_group[1]/arm_group_label", "an arm needs a label");
        var firstMeasurement = xml.IndexOf("<measurement group_id=\"", xml.IndexOf("<outcome_list>", StringComparison.Ordinal), StringComparison.Ordinal);
        var groupStart = firstMeasurement + "<measurement group_id=\"".Length;
        var groupEnd = xml.IndexOf('"', groupStart);
        yield return X("result referencing an unknown group", xml[..groupStart] + "O999" + xml[groupEnd..], "clinical_results/outcome_list/outcome[1]//measurement/@group_id",
            "results must reference a group of their outcome");

        yield return X("CDATA title", xml.Replace("<brief_title>", "<brief_title><![CDATA[<b>bold</b> & co]]>", StringComparison.Ordinal), null, "CDATA is ordinary well-formed text");
        yield return X("processing instruction", xml.Replace("<clinical_study>", "<?hostile do-something?><clinical_study>", StringComparison.Ordinal), null, "processing instructions are ignored");
        yield return X("predefined and numeric entities", xml.Replace("<brief_title>", "<brief_title>&lt;&amp;&#x263A;", StringComparison.Ordinal), null, "predefined and character entities need no DTD");
        yield return X("deep nesting 5000 in an unknown element", xml.Replace("</clinical_study>", string.Concat(Enumerable.Repeat("<x>", 5000)) + string.Concat(Enumerable.Repeat("</x>", 5000)) + "</clinical_study>", StringComparison.Ordinal),
            null, "well-formed; unknown elements are ignored and the reader is not recursive");
        yield return X("formula as the title", xml.Replace("<brief_title>", "<brief_title>=1+1 ", StringComparison.Ordinal), null, "text in XML; exports are JSON");
    }

    private static IEnumerable<HostileCase> Csv(string csv)
    {
        HostileCase C(string name, string text, string? field, string why, string recordId = ClinDrId) =>
            new("csv: " + name, new SourceRecord(SourceRecord.ClinDrSource, recordId, RecordFormat.DoseGroupTable, text), field, why);
        var lines = csv.TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        string SetCell(int row, string column, string value)
        {
            var copy = (string[])lines.Clone();
            var fields = copy[row].Split(',');
            fields[Array.IndexOf(header, column)] = value;
            copy[row] = string.Join(',', fields);
            return string.Join('\n', copy) + "\n";
        }
        foreach (var payload in new[] { "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example\")", "+SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "=1+1", "-@SUM(A1)" })
        {
            foreach (var column in new[] { "gname", "endpointShort", "indication" })
            {
                var quoted = "\"" + payload.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                yield return C($"formula {Describe(payload)} in {column}", SetCell(1, column, quoted), $"row 2.{column}", "a cell a spreadsheet would run as a formula");
            }
        }
        yield return C("dose is a word", SetCell(1, "dose", "high"), "row 2.dose", "not a dose");
        yield return C("dose missing", SetCell(1, "dose", ""), "row 2.dose", "not a dose");
        yield return C("result is text", SetCell(1, "rslt", "improved"), "row 2.rslt", "not a number");
        yield return C("result is Infinity", SetCell(1, "rslt", "Infinity"), "row 2.rslt", "not a number");
        yield return C("gname missing", SetCell(1, "gname", ""), "row 2.gname", "missing");
        yield return C("taid with path characters", SetCell(1, "taid", "../1"), "row 2.taid/protid", "protocol keys are letters, digits, '.', '_' and '-'", recordId: "clinDR:../1-2");
        yield return C("protid with SQL", SetCell(1, "protid", "\"2'; drop table trials;--\""), "row 2.taid/protid", "protocol keys are letters, digits, '.', '_' and '-'", recordId: "clinDR:1-2'; drop table trials;--");
        yield return C("record id not the table's protocol", csv, "sourceRecordId", "the record id must be the table's protocol", recordId: "clinDR:9-9");
        yield return C("rows of two protocols", SetCell(2, "protid", "3"), "row 2.taid/protid", "one record is one protocol");
        yield return C("no dose column", string.Join('\n', lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => i != Array.IndexOf(header, "dose"))))) + "\n", "dose", "a required column is missing");
        yield return C("no rslt column", csv.Replace("rslt", "result", StringComparison.Ordinal), "rslt", "a required column is missing");
        yield return C("header only", lines[0] + "\n", "record", "no rows");
        yield return C("unbalanced quote", SetCell(1, "gname", "\"PF-00734200"), "row 2", "not valid CSV");
        yield return C("9 M characters", SetCell(1, "endpointLong", new string('A', 9 * 1024 * 1024)), "record", "over the 8 M character limit");
        yield return C("NUL in a cell", SetCell(1, "bname", "a\0b"), "record", "PostgreSQL text cannot hold NUL");
        yield return C("binary garbage", Encoding.UTF8.GetString([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "taid", "a PNG header is not a table");

        yield return C("negative results (numbers, not formulas)", SetCell(1, "rslt", "-1.5"), null, "a leading '-' on a number is a number");
        yield return C("truncated after a complete row", string.Join('\n', lines.Take(3)) + "\n", null, "fewer rows of the same protocol are a valid, smaller table");
        yield return C("quoted commas in the endpoint", SetCell(1, "endpointLong", "\"change, from baseline, in HbA1c\""), null, "quoted commas are CSV");
        yield return C("CRLF line endings", csv.Replace("\n", "\r\n", StringComparison.Ordinal), null, "CRLF is CSV");
    }

    /// <summary>Attacks on the message envelope rather than the record.</summary>
    private static IEnumerable<HostileCase> Envelope(string v2)
    {
        HostileCase E(string name, string source, string recordId, RecordFormat format, string text, string field, string why) =>
            new("envelope: " + name, new SourceRecord(source, recordId, format, text), field, why);
        yield return E("source with path characters", "../../etc", V2Id, RecordFormat.CtgovV2Json, v2, "sourceName", "sources are short lower-case names");
        yield return E("source with SQL", "ctgov-v2'; drop table trials;--", V2Id, RecordFormat.CtgovV2Json, v2, "sourceName", "sources are short lower-case names");
        yield return E("source empty", "", V2Id, RecordFormat.CtgovV2Json, v2, "sourceName", "missing");
        yield return E("source 65 characters", new string('a', 65), V2Id, RecordFormat.CtgovV2Json, v2, "sourceName", "too long");
        yield return E("record id empty", SourceRecord.CtgovV2Source, "", RecordFormat.CtgovV2Json, v2, "sourceRecordId", "missing");
        yield return E("record id of another study", SourceRecord.CtgovV2Source, "NCT00000001", RecordFormat.CtgovV2Json, v2, "sourceRecordId", "the key must be the record's own id");
        yield return E("record id with SQL", SourceRecord.CtgovV2Source, "NCT00738400' or '1'='1", RecordFormat.CtgovV2Json, v2, "sourceRecordId", "the key must be the record's own id");
        yield return E("record id with a path", SourceRecord.CtgovV2Source, "../../NCT00738400", RecordFormat.CtgovV2Json, v2, "sourceRecordId", "the key must be the record's own id");
        yield return E("unknown format", SourceRecord.CtgovV2Source, V2Id, (RecordFormat)99, v2, "format", "not a supported format");
        yield return E("JSON declared as XML", SourceRecord.CtgovXmlSource, V2Id, RecordFormat.CtgovLegacyXml, v2, "record", "not XML");
        yield return E("JSON declared as a dose-group table", SourceRecord.ClinDrSource, V2Id, RecordFormat.DoseGroupTable, v2, "header", "not a dose-group table (its quotes are not CSV)");
        yield return E("empty record", SourceRecord.CtgovV2Source, V2Id, RecordFormat.CtgovV2Json, "", "record", "empty");
        yield return E("whitespace record", SourceRecord.CtgovV2Source, V2Id, RecordFormat.CtgovV2Json, " \n\t ", "record", "empty");
    }

    private static string ReplaceElement(string xml, string element, string value)
    {
        var start = xml.IndexOf($"<{element}", StringComparison.Ordinal);
        var contentStart = xml.IndexOf('>', start) + 1;
        var end = xml.IndexOf($"</{element}>", contentStart, StringComparison.Ordinal);
        return xml[..contentStart] + value + xml[end..];
    }

    /// <summary>Replaces a marker in UTF-8 bytes with raw (possibly invalid) bytes, then decodes as the file readers do.</summary>
    private static string Decode(byte[] utf8, ReadOnlySpan<byte> marker, byte[] replacement)
    {
        var at = utf8.AsSpan().IndexOf(marker);
        var bytes = utf8[..at].Concat(replacement).Concat(utf8[(at + marker.Length)..]).ToArray();
        return new StreamReader(new MemoryStream(bytes), Encoding.UTF8).ReadToEnd();
    }

    private static string Describe(string text) =>
        "'" + string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) + "'";
}
