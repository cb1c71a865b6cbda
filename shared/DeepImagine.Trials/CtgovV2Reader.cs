using System.Text.Json;

namespace DeepImagine.Trials;

/// <summary>Reads one ClinicalTrials.gov data-API v2 study object into a <see cref="Trial"/>.</summary>
public static class CtgovV2Reader
{
    public static Trial Read(string source, string recordId, string json)
    {
        JsonDocument doc;
        try
        {
            // A repeated key would leave it to the reader which value counts (the last); such a record is rejected.
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 128, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new TrialValidationException(recordId, "record", $"not well-formed JSON: {ex.Message}");
        }
        using (doc)
        {
            try
            {
                return Read(source, recordId, doc.RootElement);
            }
            catch (WrongJsonTypeException ex)
            {
                throw new TrialValidationException(recordId, ex.Property, ex.Message);
            }
        }
    }

    public static Trial Read(string source, string recordId, JsonElement study)
    {
        if (study.ValueKind != JsonValueKind.Object)
            throw new TrialValidationException(recordId, "record", "a v2 study must be a JSON object");
        if (!study.TryGetProperty("protocolSection", out var protocol) || protocol.ValueKind != JsonValueKind.Object)
            throw new TrialValidationException(recordId, "protocolSection", "missing: a v2 study has a protocolSection object");

        var identification = protocol.Object("identificationModule");
        var nctId = identification.String("nctId");
        if (string.IsNullOrWhiteSpace(nctId))
            throw new TrialValidationException(recordId, "protocolSection.identificationModule.nctId", "missing: the study has no NCT id");
        if (!Normalize.IsNctId(nctId))
            throw new TrialValidationException(recordId, "protocolSection.identificationModule.nctId", $"'{nctId}' is not an NCT id (NCT and 8 digits)");

        var status = protocol.Object("statusModule");
        var design = protocol.Object("designModule");
        var designInfo = design.Object("designInfo");
        var enrollment = design.Object("enrollmentInfo");
        int? enrollmentCount = null;
        if (enrollment.ValueKind == JsonValueKind.Object && enrollment.TryGetProperty("count", out var count) && count.ValueKind != JsonValueKind.Null)
        {
            if (count.ValueKind != JsonValueKind.Number || !count.TryGetInt32(out var n) || n < 0)
                throw new TrialValidationException(nctId, "protocolSection.designModule.enrollmentInfo.count", $"'{count}' is not a participant count");
            enrollmentCount = n;
        }

        var eligibility = protocol.Object("eligibilityModule");
        var armsModule = protocol.Object("armsInterventionsModule");
        var interventions = armsModule.Array("interventions").Select(i => new Intervention
        {
            Name = i.String("name") ?? "",
            Type = i.String("type"),
            Description = Normalize.Text(i.String("description")),
            OtherNames = i.Strings("otherNames"),
            ArmLabels = i.Strings("armGroupLabels"),
            IsPlacebo = Normalize.IsPlacebo(i.String("name"), i.String("type")) || Normalize.DescribesPlacebo(i.String("description")),
        }).ToList();

        var arms = armsModule.Array("armGroups").Select((a, index) =>
        {
            var label = a.String("label")
                ?? throw new TrialValidationException(nctId, $"protocolSection.armsInterventionsModule.armGroups[{index}].label", "missing: an arm has no label");
            var description = Normalize.Text(a.String("description"));
            var names = a.Strings("interventionNames");
            var given = interventions.Where(i => i.ArmLabels.Contains(label, StringComparer.OrdinalIgnoreCase)).ToList();
            // Older records link arms to interventions only through "Type: Name" strings on the arm.
            if (given.Count == 0)
            {
                given = interventions.Where(i => names.Any(n => n.EndsWith(": " + i.Name, StringComparison.OrdinalIgnoreCase) || n.Equals(i.Name, StringComparison.OrdinalIgnoreCase))).ToList();
            }
            return new Arm
            {
                Label = label,
                Type = a.String("type"),
                Description = description,
                Interventions = given.Select(i => new ArmIntervention
                {
                    Name = i.Name,
                    Type = i.Type,
                    IsPlacebo = i.IsPlacebo,
                    Dose = i.IsPlacebo ? null : DoseParser.ForArm(i.Name, label, description, i.Description, i.ArmLabels.Count,
                            given.Count(x => !x.IsPlacebo)),
                }).ToList(),
            };
        }).ToList();

        var conditions = protocol.Object("conditionsModule");
        var locations = protocol.Object("contactsLocationsModule").Array("locations");
        var countries = locations.Select(l => l.String("country")).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        var results = study.Object("resultsSection");
        var outcomes = results.ValueKind == JsonValueKind.Object
            ? ReadResultOutcomes(nctId, results.Object("outcomeMeasuresModule"), arms)
            : [];
        if (outcomes.Count == 0) outcomes = ReadRegisteredOutcomes(protocol.Object("outcomesModule"));

        return new Trial
        {
            TrialId = nctId,
            Source = source,
            SourceRecordId = recordId,
            Format = RecordFormat.CtgovV2Json,
            NctId = nctId,
            Title = identification.String("briefTitle"),
            OfficialTitle = identification.String("officialTitle"),
            StudyType = design.String("studyType"),
            OverallStatus = status.String("overallStatus"),
            Phases = Normalize.Phases(design.Strings("phases")),
            Conditions = conditions.Strings("conditions"),
            Keywords = conditions.Strings("keywords"),
            Design = new StudyDesign
            {
                Allocation = Normalize.Token(designInfo.String("allocation")),
                InterventionModel = Normalize.Token(designInfo.String("interventionModel")),
                PrimaryPurpose = Normalize.Token(designInfo.String("primaryPurpose")),
                Masking = Normalize.Token(designInfo.Object("maskingInfo").String("masking")),
            },
            Enrollment = enrollmentCount,
            EnrollmentType = enrollment.String("type"),
            StartDate = Normalize.Date(status.Object("startDateStruct").String("date")),
            CompletionDate = Normalize.Date(status.Object("completionDateStruct").String("date")
                                            ?? status.Object("primaryCompletionDateStruct").String("date")),
            Countries = countries,
            Eligibility = new Eligibility
            {
                Sex = Normalize.Sex(eligibility.String("sex")),
                MinimumAge = Normalize.Age(eligibility.String("minimumAge")),
                MaximumAge = Normalize.Age(eligibility.String("maximumAge")),
                HealthyVolunteers = eligibility.Bool("healthyVolunteers"),
                Criteria = Normalize.Text(eligibility.String("eligibilityCriteria")),
            },
            Interventions = interventions,
            Arms = arms,
            Outcomes = outcomes,
            ResultsPosted = results.ValueKind == JsonValueKind.Object,
        };
    }

    private static List<OutcomeMeasure> ReadRegisteredOutcomes(JsonElement module)
    {
        var list = new List<OutcomeMeasure>();
        void Add(string arrayName, string kind)
        {
            foreach (var o in module.Array(arrayName))
            {
                list.Add(new OutcomeMeasure
                {
                    Id = $"R{list.Count}",
                    Kind = kind,
                    Title = o.String("measure") ?? "",
                    Description = Normalize.Text(o.String("description")),
                    TimeFrame = o.String("timeFrame"),
                });
            }
        }
        Add("primaryOutcomes", OutcomeKinds.Primary);
        Add("secondaryOutcomes", OutcomeKinds.Secondary);
        Add("otherOutcomes", OutcomeKinds.OtherPreSpecified);
        return list;
    }

    private static List<OutcomeMeasure> ReadResultOutcomes(string nctId, JsonElement module, IReadOnlyList<Arm> arms)
    {
        var list = new List<OutcomeMeasure>();
        var index = 0;
        foreach (var o in module.Array("outcomeMeasures"))
        {
            var path = $"resultsSection.outcomeMeasuresModule.outcomeMeasures[{index}]";
            var title = o.String("title") ?? throw new TrialValidationException(nctId, path + ".title", "missing: an outcome measure has no title");

            // The "Participants" denominator is the N behind each group's values.
            var analyzed = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var denom in o.Array("denoms"))
            {
                if (!string.Equals(denom.String("units"), "Participants", StringComparison.OrdinalIgnoreCase) && analyzed.Count > 0) continue;
                foreach (var c in denom.Array("counts"))
                {
                    if (c.String("groupId") is { } g && ReportedNumber.ParseCount(c.String("value")) is { } n) analyzed[g] = n;
                }
            }

            var groupTexts = o.Array("groups").Select((g, gi) =>
            {
                var id = g.String("id") ?? throw new TrialValidationException(nctId, $"{path}.groups[{gi}].id", "missing: a results group has no id");
                return new ArmMatching.GroupText(id, g.String("title") ?? id, Normalize.Text(g.String("description")));
            }).ToList();
            var groups = ArmMatching.ResultGroups(arms, groupTexts, analyzed);
            var groupIds = groups.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);

            var measurements = new List<Measurement>();
            var ci = 0;
            foreach (var cls in o.Array("classes"))
            {
                var classTitle = Normalize.Text(cls.String("title"));
                // A class may carry its own denominators (e.g. per-timepoint N).
                var classN = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var denom in cls.Array("denoms"))
                {
                    foreach (var c in denom.Array("counts"))
                    {
                        if (c.String("groupId") is { } g && ReportedNumber.ParseCount(c.String("value")) is { } n) classN[g] = n;
                    }
                }
                var cati = 0;
                foreach (var category in cls.Array("categories"))
                {
                    var mi = 0;
                    foreach (var m in category.Array("measurements"))
                    {
                        var groupId = m.String("groupId");
                        if (groupId is null || !groupIds.Contains(groupId))
                        {
                            throw new TrialValidationException(nctId, $"{path}.classes[{ci}].categories[{cati}].measurements[{mi}].groupId",
                                $"'{groupId}' is not a group of this outcome measure");
                        }
                        measurements.Add(new Measurement
                        {
                            GroupId = groupId,
                            Class = classTitle,
                            Category = Normalize.Text(category.String("title")),
                            Value = ReportedNumber.Parse(m.String("value")),
                            Spread = ReportedNumber.Parse(m.String("spread")),
                            LowerLimit = ReportedNumber.Parse(m.String("lowerLimit")),
                            UpperLimit = ReportedNumber.Parse(m.String("upperLimit")),
                            N = classN.TryGetValue(groupId, out var cn) ? cn : analyzed.TryGetValue(groupId, out var an) ? an : null,
                            Comment = Normalize.Text(m.String("comment")),
                        });
                        mi++;
                    }
                    cati++;
                }
                ci++;
            }

            var analyses = o.Array("analyses").Select(a => new StatisticalAnalysis
            {
                GroupIds = a.Strings("groupIds"),
                GroupsDescription = Normalize.Text(a.String("groupDescription")),
                PValue = ReportedNumber.Parse(a.String("pValue")),
                PValueComment = Normalize.Text(a.String("pValueComment")),
                Method = Normalize.Text(a.String("statisticalMethod")),
                ParamType = Normalize.Text(a.String("paramType")),
                Estimate = ReportedNumber.Parse(a.String("paramValue")),
                CiPercent = ReportedNumber.Parse(a.String("ciPctValue")),
                CiSides = a.String("ciNumSides"),
                CiLower = ReportedNumber.Parse(a.String("ciLowerLimit")),
                CiUpper = ReportedNumber.Parse(a.String("ciUpperLimit")),
                NonInferiorityType = a.String("nonInferiorityType"),
            }).ToList();

            list.Add(new OutcomeMeasure
            {
                Id = $"O{index}",
                Kind = o.String("type"),
                Title = title,
                Description = Normalize.Text(o.String("description")),
                TimeFrame = Normalize.Text(o.String("timeFrame")),
                Unit = Normalize.Text(o.String("unitOfMeasure")),
                ParamType = o.String("paramType"),
                DispersionType = Normalize.Token(o.String("dispersionType")),
                Groups = groups,
                Measurements = measurements,
                Analyses = analyses,
            });
            index++;
        }
        return list;
    }
}

/// <summary>A present, non-null property of the wrong JSON type (an object where an array belongs, …).</summary>
internal sealed class WrongJsonTypeException(string property, string expected, JsonValueKind found)
    : Exception($"expected {expected}, found {found.ToString().ToLowerInvariant()}")
{
    public string Property { get; } = property;
}

/// <summary>
/// Navigation over v2 JSON: absent or null parts read as empty; an object or array of the wrong type is rejected,
/// since reading it as empty would silently drop what the record says.
/// </summary>
internal static class JsonNavigation
{
    public static JsonElement Object(this JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return default;
        return v.ValueKind == JsonValueKind.Object ? v : throw new WrongJsonTypeException(name, "an object", v.ValueKind);
    }

    public static IEnumerable<JsonElement> Array(this JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : throw new WrongJsonTypeException(name, "an array", v.ValueKind);
    }

    public static string? String(this JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    public static bool? Bool(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : null;

    public static IReadOnlyList<string> Strings(this JsonElement e, string name) =>
        e.Array(name).Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList();
}
