using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Model.Store;
using DeepImagine.GpuLearner.Tests;
using Npgsql;

namespace DeepImagine.IntegrationTests;

[Collection(LearnerProcessCollection.Name)]
public class Training_through_the_gateway(LearnerProcess learner)
{
    private static SubmitJobRequest TinySft(string factor, Dictionary<string, string> hyper) =>
        new("sft", TinyStore.BaseName, FakeDatasets.DatasetId, factor, hyper, "it-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_job_submitted_through_the_gateway_runs_to_a_published_checkpoint()
    {
        var request = TinySft("dose", new() { ["max_epochs"] = "1000", ["steps"] = "8", ["batch_size"] = "4", ["warmup_steps"] = "1", ["checkpoint_every"] = "4",
            ["eval_every"] = "8", ["eval_examples"] = "4", ["eval_max_new_tokens"] = "16", ["max_seq_len"] = "128" });

        var response = await learner.GatewayClient.SendAsync(LearnerProcess.Submit(request));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = (await response.Content.ReadFromJsonAsync<JobView>())!;
        var done = await learner.WaitForJobAsync(learner.GatewayClient, submitted.JobId, j => j.Status is "completed" or "failed");
        Assert.True(done.Status == "completed", done.Error);
        Assert.Equal("tiny-base-dose", done.ModelName);
        var version = learner.Store.Store.Find("tiny-base-dose", done.ModelVersion)!;
        Assert.True(ModelStore.Verify(version));
        Assert.Contains("val_direction_acc", done.LastMetrics.Keys);
        Assert.Contains("majority_acc", done.LastMetrics.Keys);

        var models = await learner.GatewayClient.GetFromJsonAsync<List<ModelVersionView>>("/api/models");
        Assert.Contains(models!, m => m.Name == "tiny-base-dose" && m.Version == done.ModelVersion && m.Sha256 == version.Manifest.Sha256);
        var metrics = await learner.GatewayClient.GetFromJsonAsync<List<JobMetricPoint>>($"/api/jobs/{done.JobId}/metrics");
        Assert.Equal(Enumerable.Range(1, 8), metrics!.Select(m => m.Step));
        var png = await learner.GatewayClient.GetAsync(done.CurvesUrl);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);

        // The same submission again is the same job: it does not run twice.
        var again = await learner.GatewayClient.SendAsync(LearnerProcess.Submit(request));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(done.JobId, (await again.Content.ReadFromJsonAsync<JobView>())!.JobId);
    }

    [Fact]
    public async Task A_submission_without_an_api_key_is_refused()
    {
        var response = await learner.GatewayClient.SendAsync(LearnerProcess.Submit(TinySft("dose", []), withKey: false));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_invalid_job_is_refused_with_a_problem_naming_the_field()
    {
        var response = await learner.GatewayClient.SendAsync(LearnerProcess.Submit(TinySft("dose", new() { ["lora_rank"] = "0" })));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("hyperParameters.lora_rank", problem.GetProperty("field").GetString());

        var unknownDataset = await learner.GatewayClient.SendAsync(LearnerProcess.Submit(TinySft("dose", []) with { DatasetId = Guid.NewGuid() }));
        Assert.Equal(HttpStatusCode.BadRequest, unknownDataset.StatusCode);
        Assert.Equal("datasetId", (await unknownDataset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_api_is_in_the_services_openapi_document_through_the_gateway()
    {
        var document = await learner.GatewayClient.GetFromJsonAsync<JsonElement>("/openapi/gpu-learner.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/jobs", out _));
        Assert.True(paths.TryGetProperty("/api/jobs/{jobId}/metrics", out _));
        Assert.True(paths.TryGetProperty("/api/models", out _));
    }

    [Fact]
    public async Task A_learner_killed_mid_job_resumes_from_its_last_checkpoint_on_restart()
    {
        var request = TinySft("population", new() { ["max_epochs"] = "1000", ["steps"] = "400", ["batch_size"] = "2", ["warmup_steps"] = "2", ["checkpoint_every"] = "10",
            ["eval_every"] = "400", ["eval_examples"] = "4", ["eval_max_new_tokens"] = "16", ["max_seq_len"] = "128" });
        var response = await learner.LearnerClient.SendAsync(LearnerProcess.Submit(request));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = (await response.Content.ReadFromJsonAsync<JobView>())!.JobId;

        // Kill once at least two checkpoints are durable (their metrics are recorded with them).
        List<JobMetricPoint> before = [];
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (before.Count < 20)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job made no progress:\n" + learner.Log);
            // 404 until the learner has consumed the submission.
            var metrics = await learner.LearnerClient.GetAsync($"/api/jobs/{jobId}/metrics");
            if (metrics.IsSuccessStatusCode) before = await metrics.Content.ReadFromJsonAsync<List<JobMetricPoint>>() ?? [];
            await Task.Delay(50);
        }
        await learner.KillAsync();

        await using (var connection = new NpgsqlConnection(LiveServices.ConnectionString))
        {
            var status = await connection.ExecuteScalarAsync<string>("select status from gpu_learner.jobs where job_id = @jobId", new { jobId });
            Assert.Equal("running", status);
        }
        var killedAt = before.Max(p => p.Step);
        Assert.True(killedAt < 400, "the job finished before it could be killed; make it longer");

        await learner.StartAsync();
        var done = await learner.WaitForJobAsync(learner.LearnerClient, jobId, j => j.Status is "completed" or "failed");

        Assert.True(done.Status == "completed", done.Error + "\n" + learner.Log);
        var resumed = System.Text.RegularExpressions.Regex.Match(learner.Log, $"job {jobId} resumes at step (\\d+)");
        Assert.True(resumed.Success, "the restarted learner did not resume the job:\n" + learner.Log);
        var resumedAt = int.Parse(resumed.Groups[1].Value);
        // Metrics are recorded as a checkpoint is written, just before it replaces the previous one: the kill may fall between.
        Assert.InRange(resumedAt, killedAt - 10, 399);
        Assert.Equal(0, resumedAt % 10);
        var after = await learner.LearnerClient.GetFromJsonAsync<List<JobMetricPoint>>($"/api/jobs/{jobId}/metrics") ?? [];
        Assert.Equal(Enumerable.Range(1, 400), after.Select(p => p.Step));
        // Steps up to the checkpoint were not trained again, and any repeated after it saw the same batches: the same losses.
        foreach (var point in before) Assert.Equal(point.Loss, after[point.Step - 1].Loss, 4);
        Assert.Equal(400, done.Step);
    }
}
