
namespace DeepImagine.Trials.Tests;

/// <summary>Invalid input fails with an error that names the record and the field.</summary>
public class Rejecting_invalid_records
{
    private static TrialValidationException Reject(RecordFormat format, string recordId, string text) =>
        Assert.Throws<TrialValidationException>(() => TrialRecordParser.Parse(new SourceRecord("test", recordId, format, text)));

    [Fact]
    public void Json_that_is_not_well_formed_names_the_record()
    {
        var error = Reject(RecordFormat.CtgovV2Json, "NCT00000001", "{\"protocolSection\": {");

        Assert.Equal("NCT00000001", error.RecordId);
        Assert.Equal("record", error.Field);
        Assert.Contains("not well-formed JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_study_without_an_nct_id_names_the_missing_field()
    {
        var error = Reject(RecordFormat.CtgovV2Json, "upload-1", """{"protocolSection":{"identificationModule":{"briefTitle":"x"}}}""");

        Assert.Equal("protocolSection.identificationModule.nctId", error.Field);
        Assert.Contains("upload-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enrollment_that_is_not_a_count_names_the_field()
    {
        var error = Reject(RecordFormat.CtgovV2Json, "NCT00000002",
            """{"protocolSection":{"identificationModule":{"nctId":"NCT00000002"},"designModule":{"enrollmentInfo":{"count":"many"}}}}""");

        Assert.Equal("protocolSection.designModule.enrollmentInfo.count", error.Field);
    }

    [Fact]
    public void A_measurement_of_an_unknown_group_names_its_position()
    {
        var real = RepoData.V2Record("NCT01037244").Text;
        var broken = real.Replace("\"groupId\":\"OG002\",\"value\":\"7.76\"", "\"groupId\":\"OG009\",\"value\":\"7.76\"", StringComparison.Ordinal);
        Assert.NotEqual(real, broken);

        var error = Reject(RecordFormat.CtgovV2Json, "NCT01037244", broken);

        Assert.Equal("resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[2].groupId", error.Field);
        Assert.Contains("OG009", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_id_that_contradicts_the_content_is_refused()
    {
        var error = Reject(RecordFormat.CtgovV2Json, "NCT99999999", RepoData.V2Record("NCT01037244").Text);

        Assert.Equal("sourceRecordId", error.Field);
    }

    [Fact]
    public void Xml_that_is_not_a_clinical_study_names_the_root()
    {
        var error = Reject(RecordFormat.CtgovLegacyXml, "NCT00000003", "<study><id/></study>");

        Assert.Equal("clinical_study", error.Field);
    }

    [Fact]
    public void A_dose_group_row_without_a_numeric_dose_names_the_row()
    {
        var csv = "taid,protid,gname,dose,rslt,endpointShort\n1,2,DRUG,0,1.5,E\n1,2,DRUG,high,2.5,E\n";

        var error = Reject(RecordFormat.DoseGroupTable, "clinDR:1-2", csv);

        Assert.Equal("row 3.dose", error.Field);
        Assert.Contains("'high'", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dose_group_table_without_required_columns_names_the_column()
    {
        var error = Reject(RecordFormat.DoseGroupTable, "clinDR:1-2", "taid,protid,gname,dose\n1,2,X,0\n");

        Assert.Equal("rslt", error.Field);
    }
}
