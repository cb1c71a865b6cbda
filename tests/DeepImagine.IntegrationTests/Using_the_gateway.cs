using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepImagine.Trials.Tests;

namespace DeepImagine.IntegrationTests;

[Collection(LiveServicesCollection.Name)]
public class Using_the_gateway(LiveServices services)
{
    [Fact]
    public async Task Accepts_a_valid_study_and_then_serves_it_once_stored()
    {
        var study = RepoData.V2Record("NCT00738400").Text;

        var response = await services.GatewayClient.PostAsync("/api/trials", LiveServices.WithApiKey(new StringContent(study, Encoding.UTF8, "application/json")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("NCT00738400", accepted.GetProperty("recordId").GetString());
        Assert.Equal("/api/trials/NCT00738400", response.Headers.Location!.ToString());

        JsonElement trial = default;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var get = await services.GatewayClient.GetAsync("/api/trials/NCT00738400");
            if (get.StatusCode == HttpStatusCode.OK)
            {
                trial = await get.Content.ReadFromJsonAsync<JsonElement>();
                break;
            }
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            await Task.Delay(100);
        }
        Assert.Equal(JsonValueKind.Object, trial.ValueKind);
        Assert.Equal("NCT00738400", trial.GetProperty("trialId").GetString());
        Assert.Equal(2, trial.GetProperty("trial").GetProperty("arms").GetArrayLength());
    }

    [Fact]
    public async Task Rejects_a_broken_study_with_a_problem_naming_the_field()
    {
        var response = await services.GatewayClient.PostAsync("/api/trials",
            LiveServices.WithApiKey(new StringContent("""{"protocolSection":{"identificationModule":{"briefTitle":"no id"}}}""", Encoding.UTF8, "application/json")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("protocolSection.identificationModule.nctId", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Rejects_json_that_is_not_well_formed()
    {
        var response = await services.GatewayClient.PostAsync("/api/trials", LiveServices.WithApiKey(new StringContent("{\"protocolSection\":", Encoding.UTF8, "application/json")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("record", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Answers_404_with_a_problem_for_an_unknown_trial()
    {
        var response = await services.GatewayClient.GetAsync("/api/trials/NCT00000000");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Serves_the_trials_OpenAPI_document()
    {
        var document = await services.GatewayClient.GetFromJsonAsync<JsonElement>("/openapi/trials.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/trials", out _) || paths.TryGetProperty("/api/trials/", out _));
        Assert.True(paths.TryGetProperty("/api/trials/{id}", out _));
    }

    [Fact]
    public async Task Reports_the_services_healthy()
    {
        Assert.Equal("Healthy", await services.PairMinerClient.GetStringAsync("/health"));
        Assert.Equal("Healthy", await services.GatewayClient.GetStringAsync("/alive"));
    }
}
