using System.Text.Json;
using DeepImagine.Imagining.Questions;
using DeepImagine.Predictor.Api;
using DeepImagine.Predictor.Data;
using DeepImagine.Predictor.Engine;
using DeepImagine.Trials;

namespace DeepImagine.Predictor.Tests;

public sealed class Reading_prediction_targets
{
    // Never called: the requests here name no stored trial.
    private static readonly PairMinerTrials NoPairMiner = new(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/") });

    private static readonly CtOpenQuestion MetQuestion = new() { Options = ["This endpoint is met.", "This endpoint is not met."] };

    private static SourceRecord FirstStudy() =>
        SourceFiles.Read([Path.Combine(DeepImagine.Tests.RepoRoot.Path, "data", "ctgov-v2-json", "studies.jsonl.gz")]).First();

    [Fact]
    public async Task A_posted_study_becomes_a_target_with_its_registry_data_and_the_asked_endpoint()
    {
        var record = FirstStudy();
        var request = new PredictionRequest
        {
            Study = JsonDocument.Parse(record.Text).RootElement,
            Endpoint = new CtOpenEndpoint { Measure = "Overall response rate", TimeFrame = "12 weeks", OutcomeType = "primaryOutcomes" },
            Questions = [MetQuestion with { AnswerIndex = 0 }],
            MetaLabel = "no_arm",
        };

        var target = await PredictionEndpoints.TargetAsync(request, NoPairMiner, CancellationToken.None);

        var trial = TrialRecordParser.Parse(record);
        Assert.Equal(trial.NctId, target.NctId);
        Assert.NotNull(target.Trial);
        Assert.Equal(trial.Arms.Select(a => a.Label), target.Item.Arms.Select(a => a.Label));
        Assert.Equal("Overall response rate", target.Item.Endpoint.Measure);
        Assert.Null(target.Item.Questions.Single().AnswerIndex); // an answer in a target is dropped
    }

    [Theory]
    [InlineData("none", "item")]
    [InlineData("two", "item")]
    [InlineData("bad-nct", "nctId")]
    [InlineData("no-endpoint", "endpoint.measure")]
    [InlineData("no-questions", "request.questions")]
    [InlineData("bad-meta", "request.meta_label")]
    [InlineData("bad-study", "study.protocolSection.identificationModule.nctId")]
    [InlineData("bad-study-phases", "study.")]
    public async Task Invalid_input_names_its_field(string problem, string field)
    {
        var study = JsonDocument.Parse(FirstStudy().Text).RootElement;
        var endpoint = new CtOpenEndpoint { Measure = "Overall response rate" };
        PredictionRequest request = problem switch
        {
            "none" => new PredictionRequest(),
            "two" => new PredictionRequest { Item = Knowledge.Target().Item, NctId = "NCT00000001" },
            "bad-nct" => new PredictionRequest { NctId = "12345" },
            "no-endpoint" => new PredictionRequest { Study = study, Questions = [MetQuestion] },
            "no-questions" => new PredictionRequest { Study = study, Endpoint = endpoint },
            "bad-meta" => new PredictionRequest { Study = study, Endpoint = endpoint, Questions = [MetQuestion], MetaLabel = "both_arms" },
            "bad-study-phases" => new PredictionRequest
            {
                Study = JsonDocument.Parse("{\"protocolSection\":{\"identificationModule\":{\"nctId\":\"NCT01234567\"},\"designModule\":{\"phases\":7}}}").RootElement,
                Endpoint = endpoint,
                Questions = [MetQuestion],
            },
            _ => new PredictionRequest { Study = JsonDocument.Parse("{}").RootElement, Endpoint = endpoint, Questions = [MetQuestion] },
        };

        var error = await Assert.ThrowsAsync<PredictionInputException>(() => PredictionEndpoints.TargetAsync(request, NoPairMiner, CancellationToken.None));
        Assert.StartsWith(field, error.Field);
    }
}
