extern alias gateway;

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepImagine.ServiceDefaults;
using DeepImagine.Trials.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DeepImagine.IntegrationTests;

/// <summary>Size limits (413), API keys on writes (401), per-key rate limiting (429) and quiet health endpoints.</summary>
[Collection(LiveServicesCollection.Name)]
public class Guarding_the_http_edge(LiveServices services) : IAsyncLifetime
{
    private const long SmallLimit = 100_000;
    private WebApplicationFactory<gateway::Program>? _strictGateway;
    private HttpClient _strict = null!;

    /// <summary>A second gateway on a real Kestrel port, with a small body limit and a small token bucket; two keys.</summary>
    public Task InitializeAsync()
    {
        _strictGateway = new WebApplicationFactory<gateway::Program>().WithWebHostBuilder(web => web
            .UseSetting("RequestLimits:MaxBodyBytes", SmallLimit.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("RateLimiting:TokenLimit", "5")
            .UseSetting("RateLimiting:TokensPerPeriod", "1")
            .UseSetting("RateLimiting:ReplenishmentSeconds", "30")
            .UseSetting("ApiKeys:0", "key-a")
            .UseSetting("ApiKeys:1", "key-b")
            .UseSetting("ReverseProxy:Clusters:pair-miner:Destinations:primary:Address", services.PairMinerClient.BaseAddress!.ToString()));
        _strictGateway.UseKestrel(0);
        _strictGateway.StartServer();
        _strict = _strictGateway.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_strictGateway is not null) await _strictGateway.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static HttpContent Oversized(long bytes, bool chunked)
    {
        var body = new byte[bytes];
        Array.Fill(body, (byte)' ');
        body[0] = (byte)'{';
        // Without a length the body streams chunked, so only the server's read limit can stop it.
        HttpContent content = chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        content.Headers.Add(ApiKeys.HeaderName, ApiKeys.LocalDevelopmentKey);
        return content;
    }

    /// <summary>
    /// Posts as curl does for large bodies (Expect: 100-continue), so a server that refuses the body by its length
    /// answers before the client has written it, instead of the client meeting a closed socket mid-write.
    /// </summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient client, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/trials") { Content = content };
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Answers_413_at_the_service_for_a_body_over_the_limit_with_or_without_a_length()
    {
        await AssertProblemAsync(await PostAsync(services.PairMinerClient, Oversized(RequestLimits.DefaultMaxBodyBytes + 1, chunked: false)), HttpStatusCode.RequestEntityTooLarge);
        await AssertProblemAsync(await PostAsync(services.PairMinerClient, Oversized(RequestLimits.DefaultMaxBodyBytes + 1, chunked: true)), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("Healthy", await services.PairMinerClient.GetStringAsync("/alive"));
    }

    [Fact]
    public async Task Answers_413_at_the_gateway_for_a_body_over_the_limit_with_or_without_a_length()
    {
        await AssertProblemAsync(await PostAsync(services.GatewayClient, Oversized(RequestLimits.DefaultMaxBodyBytes + 1, chunked: false)), HttpStatusCode.RequestEntityTooLarge);
        await AssertProblemAsync(await PostAsync(_strict, WithKey(Oversized(SmallLimit + 1, chunked: false), "key-a")), HttpStatusCode.RequestEntityTooLarge);
        await AssertProblemAsync(await PostAsync(_strict, WithKey(Oversized(SmallLimit * 3, chunked: true), "key-a")), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Requires_an_api_key_to_post_a_study_at_the_service_and_the_gateway()
    {
        var study = RepoData.V2Record("NCT00738400").Text;
        await AssertProblemAsync(await services.PairMinerClient.PostAsync("/api/trials", Json(study)), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await services.GatewayClient.PostAsync("/api/trials", Json(study)), HttpStatusCode.Unauthorized);
        var wrong = Json(study);
        wrong.Headers.Add(ApiKeys.HeaderName, "not-the-key");
        await AssertProblemAsync(await services.GatewayClient.PostAsync("/api/trials", wrong), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Accepted, (await services.PairMinerClient.PostAsync("/api/trials", LiveServices.WithApiKey(Json(study)))).StatusCode);
    }

    [Theory]
    [InlineData("PUT", "/api/trials/NCT00738400")]
    [InlineData("PATCH", "/api/trials/NCT00738400")]
    [InlineData("DELETE", "/api/trials/NCT00738400")]
    [InlineData("POST", "/api/some-future-service/things")]
    public async Task Requires_an_api_key_for_every_write_method_of_every_route_at_the_gateway(string method, string path)
    {
        var response = await services.GatewayClient.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Limits_each_key_separately_and_answers_429_with_retry_after()
    {
        async Task<HttpResponseMessage> Get(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/trials/NCT00000000");
            request.Headers.Add(ApiKeys.HeaderName, key);
            return await _strict.SendAsync(request);
        }
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.NotFound, (await Get("key-b")).StatusCode);
        var limited = await Get("key-b");

        await AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 30);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("key-a")).StatusCode);
        Assert.Equal("Healthy", await _strict.GetStringAsync("/alive"));
    }

    [Fact]
    public async Task Health_endpoints_reveal_nothing_but_the_status()
    {
        foreach (var (client, path) in new[] { (services.PairMinerClient, "/health"), (services.PairMinerClient, "/alive"), (services.GatewayClient, "/health"), (services.GatewayClient, "/alive") })
        {
            var body = await client.GetStringAsync(path);
            Assert.Contains(body, new[] { "Healthy", "Degraded", "Unhealthy" });
        }
    }

    private static HttpContent WithKey(HttpContent content, string key)
    {
        content.Headers.Remove(ApiKeys.HeaderName);
        content.Headers.Add(ApiKeys.HeaderName, key);
        return content;
    }

    /// <summary>A readable stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
