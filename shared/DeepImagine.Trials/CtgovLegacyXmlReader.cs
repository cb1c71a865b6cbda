using System.Xml;
using System.Xml.Linq;

namespace DeepImagine.Trials;

/// <summary>Reads one legacy ClinicalTrials.gov <c>&lt;clinical_study&gt;</c> document into a <see cref="Trial"/>.</summary>
public static class CtgovLegacyXmlReader
{
    public static Trial Read(string source, string recordId, string xml)
    {
        XDocument doc;
        try
        {
            // No DTDs at all: they are what external entities (XXE) and entity expansion ("billion laughs") need, and
            // real registry records have none.
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = TrialRecordParser.MaxRecordChars };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new TrialValidationException(recordId, "record", $"not well-formed XML: {ex.Message}");
        }
        var study = doc.Root;
        if (study is null || study.Name.LocalName != "clinical_study")
            throw new TrialValidationException(recordId, "clinical_study", "missing: the root element must be <clinical_study>");

        var nctId = study.Element("id_info")?.Value("nct_id");
        if (string.IsNullOrWhiteSpace(nctId))
            throw new TrialValidationException(recordId, "clinical_study/id_info/nct_id", "missing: the study has no NCT id");
        if (!Normalize.IsNctId(nctId))
            throw new TrialValidationException(recordId, "clinical_study/id_info/nct_id", $"'{nctId}' is not an NCT id (NCT and 8 digits)");

        int? enrollment = null;
        var enrollmentElement = study.Element("enrollment");
        if (enrollmentElement is not null && !string.IsNullOrWhiteSpace(enrollmentElement.Value))
        {
            enrollment = ReportedNumber.ParseCount(enrollmentElement.Value)
                ?? throw new TrialValidationException(nctId, "clinical_study/enrollment", $"'{enrollmentElement.Value.Trim()}' is not a participant count");
        }

        var interventions = study.Elements("intervention").Select(i => new Intervention
        {
            Name = i.Value("intervention_name") ?? "",
            Type = Normalize.Token(i.Value("intervention_type")),
            Description = i.Value("description"),
            OtherNames = i.Elements("other_name").Select(e => e.Value.Trim()).ToList(),
            ArmLabels = i.Elements("arm_group_label").Select(e => e.Value.Trim()).ToList(),
            IsPlacebo = Normalize.IsPlacebo(i.Value("intervention_name"), i.Value("intervention_type")) || Normalize.DescribesPlacebo(i.Value("description")),
        }).ToList();

        var arms = study.Elements("arm_group").Select((a, index) =>
        {
            var label = a.Value("arm_group_label")
                ?? throw new TrialValidationException(nctId, $"clinical_study/arm_group[{index + 1}]/arm_group_label", "missing: an arm has no label");
            var description = a.Value("description");
            return new Arm
            {
                Label = label,
                Type = Normalize.Token(a.Value("arm_group_type")),
                Description = description,
                Interventions = interventions
                    .Where(i => i.ArmLabels.Contains(label, StringComparer.OrdinalIgnoreCase))
                    .Select(i => new ArmIntervention
                    {
                        Name = i.Name,
                        Type = i.Type,
                        IsPlacebo = i.IsPlacebo,
                        Dose = i.IsPlacebo ? null : DoseParser.ForArm(i.Name, label, description, i.Description, i.ArmLabels.Count,
                            interventions.Count(x => !x.IsPlacebo && x.ArmLabels.Contains(label, StringComparer.OrdinalIgnoreCase))),
                    }).ToList(),
            };
        }).ToList();

        var designInfo = study.Element("study_design_info");
        var eligibility = study.Element("eligibility");
        var countries = study.Element("location_countries")?.Elements("country").Select(c => c.Value.Trim()).ToList()
                        ?? study.Elements("location").Select(l => l.Element("facility")?.Element("address")?.Value("country"))
                            .OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        var results = study.Element("clinical_results");
        var outcomes = results is null ? [] : ReadResultOutcomes(nctId, results, arms);
        if (outcomes.Count == 0) outcomes = ReadRegisteredOutcomes(study);

        return new Trial
        {
            TrialId = nctId,
            Source = source,
            SourceRecordId = recordId,
            Format = RecordFormat.CtgovLegacyXml,
            NctId = nctId,
            Title = study.Value("brief_title"),
            OfficialTitle = study.Value("official_title"),
            StudyType = Normalize.Token(study.Value("study_type")),
            OverallStatus = Normalize.Token(study.Value("overall_status")),
            Phases = Normalize.Phases([study.Value("phase")]),
            Conditions = study.Elements("condition").Select(c => c.Value.Trim()).ToList(),
            Keywords = study.Elements("keyword").Select(c => c.Value.Trim()).ToList(),
            Design = new StudyDesign
            {
                Allocation = Normalize.Token(designInfo?.Value("allocation")),
                InterventionModel = Normalize.Token(designInfo?.Value("intervention_model")),
                PrimaryPurpose = Normalize.Token(designInfo?.Value("primary_purpose")),
                Masking = Normalize.Token(designInfo?.Value("masking")),
            },
            Enrollment = enrollment,
            EnrollmentType = Normalize.Token(enrollmentElement?.Attribute("type")?.Value),
            StartDate = Normalize.Date(study.Value("start_date")),
            CompletionDate = Normalize.Date(study.Value("completion_date") ?? study.Value("primary_completion_date")),
            Countries = countries,
            Eligibility = new Eligibility
            {
                Sex = Normalize.Sex(eligibility?.Value("gender")),
                MinimumAge = Normalize.Age(eligibility?.Value("minimum_age")),
                MaximumAge = Normalize.Age(eligibility?.Value("maximum_age")),
                HealthyVolunteers = eligibility?.Value("healthy_volunteers") is { } hv
                    ? hv.StartsWith("Accepts", StringComparison.OrdinalIgnoreCase) || hv.Equals("Yes", StringComparison.OrdinalIgnoreCase)
                    : null,
                Criteria = eligibility?.Element("criteria")?.Value("textblock"),
            },
            Interventions = interventions,
            Arms = arms,
            Outcomes = outcomes,
            ResultsPosted = results is not null,
        };
    }

    private static List<OutcomeMeasure> ReadRegisteredOutcomes(XElement study)
    {
        var list = new List<OutcomeMeasure>();
        foreach (var (element, kind) in new[] { ("primary_outcome", OutcomeKinds.Primary), ("secondary_outcome", OutcomeKinds.Secondary), ("other_outcome", OutcomeKinds.OtherPreSpecified) })
        {
            foreach (var o in study.Elements(element))
            {
                list.Add(new OutcomeMeasure
                {
                    Id = $"R{list.Count}",
                    Kind = kind,
                    Title = o.Value("measure") ?? "",
                    Description = o.Value("description"),
                    TimeFrame = o.Value("time_frame"),
                });
            }
        }
        return list;
    }

    private static List<OutcomeMeasure> ReadResultOutcomes(string nctId, XElement results, IReadOnlyList<Arm> arms)
    {
        var list = new List<OutcomeMeasure>();
        var index = 0;
        foreach (var o in results.Element("outcome_list")?.Elements("outcome") ?? [])
        {
            index++;
            var path = $"clinical_results/outcome_list/outcome[{index}]";
            var title = o.Value("title") ?? throw new TrialValidationException(nctId, path + "/title", "missing: an outcome has no title");

            // Two layouts: one <measure> with <analyzed_list> counts (2017 on), or a <measure_list> whose
            // first measure, "Number of Participants", gives the N of each group (earlier records).
            var measures = o.Element("measure") is { } single ? [single] : o.Element("measure_list")?.Elements("measure").ToList() ?? [];
            var analyzed = new Dictionary<string, int>(StringComparer.Ordinal);
            var valueMeasures = new List<XElement>();
            foreach (var measure in measures)
            {
                if (ReferenceEquals(measure, measures[0]) && measures.Count > 1 && IsParticipantCount(measure))
                {
                    foreach (var m in measure.Descendants("measurement"))
                    {
                        if (m.Attr("group_id") is { } g && ReportedNumber.ParseCount(m.Attr("value")) is { } n) analyzed[g] = n;
                    }
                    continue;
                }
                valueMeasures.Add(measure);
                var counts = measure.Element("analyzed_list")?.Elements("analyzed")
                    .FirstOrDefault(a => string.Equals(a.Value("units"), "Participants", StringComparison.OrdinalIgnoreCase))
                    ?? measure.Element("analyzed_list")?.Elements("analyzed").FirstOrDefault();
                foreach (var c in counts?.Element("count_list")?.Elements("count") ?? [])
                {
                    if (c.Attr("group_id") is { } g && ReportedNumber.ParseCount(c.Attr("value")) is { } n) analyzed.TryAdd(g, n);
                }
            }

            var groupTexts = (o.Element("group_list")?.Elements("group") ?? []).Select(g =>
            {
                var id = g.Attr("group_id") ?? throw new TrialValidationException(nctId, path + "/group_list/group/@group_id", "missing: a results group has no id");
                return new ArmMatching.GroupText(id, g.Value("title") ?? id, g.Value("description"));
            }).ToList();
            var groups = ArmMatching.ResultGroups(arms, groupTexts, analyzed);
            var groupIds = groups.Select(g => g.Id).ToHashSet(StringComparer.Ordinal);

            var measurements = new List<Measurement>();
            foreach (var measure in valueMeasures)
            {
                var classes = measure.Element("class_list")?.Elements("class").ToList() ?? [measure];
                foreach (var cls in classes)
                {
                    var classTitle = ReferenceEquals(cls, measure) ? null : cls.Value("title");
                    // A class may report its own analysed counts (fewer participants had this cell measured).
                    var classCounts = new Dictionary<string, int>(StringComparer.Ordinal);
                    var classAnalyzed = ReferenceEquals(cls, measure) ? null : cls.Element("analyzed_list")?.Elements("analyzed")
                        .FirstOrDefault(a => string.Equals(a.Value("units"), "Participants", StringComparison.OrdinalIgnoreCase));
                    foreach (var c in classAnalyzed?.Element("count_list")?.Elements("count") ?? [])
                    {
                        if (c.Attr("group_id") is { } g && ReportedNumber.ParseCount(c.Attr("value")) is { } n) classCounts[g] = n;
                    }
                    foreach (var category in cls.Element("category_list")?.Elements("category") ?? [])
                    {
                        var categoryTitle = category.Value("title") ?? category.Value("sub_title");
                        foreach (var m in category.Element("measurement_list")?.Elements("measurement") ?? [])
                        {
                            var groupId = m.Attr("group_id");
                            if (groupId is null || !groupIds.Contains(groupId))
                                throw new TrialValidationException(nctId, path + "//measurement/@group_id", $"'{groupId}' is not a group of this outcome");
                            measurements.Add(new Measurement
                            {
                                GroupId = groupId,
                                Class = classTitle,
                                Category = categoryTitle,
                                Value = ReportedNumber.Parse(m.Attr("value")),
                                Spread = ReportedNumber.Parse(m.Attr("spread")),
                                LowerLimit = ReportedNumber.Parse(m.Attr("lower_limit")),
                                UpperLimit = ReportedNumber.Parse(m.Attr("upper_limit")),
                                N = classCounts.TryGetValue(groupId, out var cn) ? cn : analyzed.TryGetValue(groupId, out var n) ? n : null,
                                Comment = Normalize.Text(m.Value),
                            });
                        }
                    }
                }
            }

            var first = valueMeasures.FirstOrDefault();
            var analyses = o.Descendants("analysis").Select(a => new StatisticalAnalysis
            {
                GroupIds = a.Element("group_id_list")?.Elements("group_id").Select(g => g.Value.Trim()).ToList() ?? [],
                GroupsDescription = a.Value("groups_desc"),
                PValue = ReportedNumber.Parse(a.Value("p_value")),
                PValueComment = a.Value("p_value_desc"),
                Method = a.Value("method"),
                ParamType = a.Value("param_type"),
                Estimate = ReportedNumber.Parse(a.Value("param_value")),
                CiPercent = ReportedNumber.Parse(a.Value("ci_percent")),
                CiSides = a.Value("ci_n_sides"),
                CiLower = ReportedNumber.Parse(a.Value("ci_lower_limit")),
                CiUpper = ReportedNumber.Parse(a.Value("ci_upper_limit")),
                NonInferiorityType = a.Value("non_inferiority_type") ?? a.Value("non_inferiority"),
            }).ToList();

            list.Add(new OutcomeMeasure
            {
                Id = $"O{index - 1}",
                Kind = Normalize.Token(o.Value("type")),
                Title = title,
                Description = o.Value("description"),
                TimeFrame = o.Value("time_frame"),
                Unit = first?.Value("units"),
                ParamType = Normalize.Token(first?.Value("param")),
                DispersionType = Normalize.Token(first?.Value("dispersion")),
                Groups = groups,
                Measurements = measurements,
                Analyses = analyses,
            });
        }
        return list;
    }

    private static bool IsParticipantCount(XElement measure) =>
        string.Equals(measure.Value("title"), "Number of Participants", StringComparison.OrdinalIgnoreCase)
        && string.Equals(measure.Value("units"), "participants", StringComparison.OrdinalIgnoreCase);

    private static string? Value(this XElement e, string child)
    {
        var c = e.Element(child);
        if (c is null) return null;
        var t = c.Value.Trim();
        return t.Length == 0 ? null : t;
    }

    private static string? Attr(this XElement e, string name) => e.Attribute(name)?.Value;
}
