using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepImagine.TraceGenerator.Tests;

/// <summary>
/// A minimal OpenAI-compatible chat endpoint on a loopback Kestrel port: <c>POST /v1/chat/completions</c> answers with
/// what <see cref="Answer"/> returns for the request's user message (or the status it names), and keeps the requests.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public Func<string, (int Status, string Content)> Answer { get; set; } = _ => (200, "RESULT: direction=same log_ratio=unknown significant=unknown");
    public ConcurrentQueue<JsonElement> Requests { get; } = new();
    public string BaseUrl { get; }

    private FakeChatServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeChatServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeChatServer? server = null;
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            server!.Requests.Enqueue(request);
            var user = request.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString() ?? "";
            var (status, content) = server.Answer(user);
            if (status != 200) return Results.Json(new { error = new { message = content, type = "server_error" } }, statusCode: status);
            return Results.Json(new
            {
                id = "chatcmpl-test",
                @object = "chat.completion",
                created = 1_700_000_000,
                model = request.GetProperty("model").GetString(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FakeChatServer(app, address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
