using DeepImagine.Imagining;
using DeepImagine.Pairs.Tests;
using DeepImagine.TraceGenerator.Teaching;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepImagine.TraceGenerator.Tests;

public sealed class Asking_an_external_teacher : IAsyncLifetime
{
    private FakeChatServer _server = null!;

    // Placebo -0.19 -> udenafil 50 mg 4.85: observed higher, significant (p < 0.0001).
    private static PairStep PlaceboToDrug() => PairSteps.FromPair(Mined.Pairs("NCT01037244").ArmPair("O0", "Placebo", "Udenafil 50 mg"))[0];

    public async Task InitializeAsync() => _server = await FakeChatServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ExternalTeacher Teacher() => new(
        ExternalTeacher.CreateChatClient(new ExternalTeacherOptions { Enabled = true, Url = _server.BaseUrl, Model = "fake-teacher", ApiKey = "k", TimeoutSeconds = 10 }),
        new ExternalTeacherOptions { Enabled = true, Url = _server.BaseUrl, Model = "fake-teacher" },
        NullLogger<ExternalTeacher>.Instance);

    [Fact]
    public async Task An_agreeing_answer_keeps_its_trace_and_the_teacher_saw_the_step_prompt()
    {
        _server.Answer = _ => (200, "The drug adds its effect to the placebo response.\nRESULT: direction=higher log_ratio=2 significant=yes");
        var step = PlaceboToDrug();

        var attempt = await Teacher().TryAsync(step, CancellationToken.None);

        Assert.Null(attempt.Refusal);
        Assert.Equal("The drug adds its effect to the placebo response.", attempt.Trace!.Text);
        Assert.Equal("external:fake-teacher", attempt.Trace.Source);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("fake-teacher", request.GetProperty("model").GetString());
        var messages = request.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(StepFormat.SystemText, messages[0].GetProperty("content").GetString());
        Assert.Equal(step.Prompt.User, messages[1].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("Lower.\nRESULT: direction=lower log_ratio=-1 significant=yes", "direction lower disagrees with the observed higher")]
    [InlineData("Higher but by chance.\nRESULT: direction=higher log_ratio=1 significant=no", "significant=no disagrees with the observed yes")]
    [InlineData("I think it goes up.", "unparseable answer: no line starting with 'RESULT:'")]
    [InlineData("RESULT: direction=higher log_ratio=1 significant=yes", "no reasoning before the RESULT line")]
    public async Task A_disagreeing_or_malformed_answer_is_refused_with_the_reason(string answer, string reason)
    {
        _server.Answer = _ => (200, answer);

        var attempt = await Teacher().TryAsync(PlaceboToDrug(), CancellationToken.None);

        Assert.Null(attempt.Trace);
        Assert.Equal(reason, attempt.Refusal);
    }

    [Fact]
    public async Task An_answer_that_leaves_significance_unknown_still_agrees()
    {
        _server.Answer = _ => (200, "Up.\nRESULT: direction=higher log_ratio=unknown significant=unknown");

        Assert.NotNull((await Teacher().TryAsync(PlaceboToDrug(), CancellationToken.None)).Trace);
    }

    [Fact]
    public async Task A_failing_endpoint_is_a_refusal_not_an_exception()
    {
        _server.Answer = _ => (500, "overloaded");

        var attempt = await Teacher().TryAsync(PlaceboToDrug(), CancellationToken.None);

        Assert.Null(attempt.Trace);
        Assert.StartsWith("request failed:", attempt.Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "m", "Url")]
    [InlineData("not a url", "m", "Url")]
    [InlineData("http://127.0.0.1:1/v1", " ", "Model")]
    public void An_enabled_teacher_without_a_url_or_model_is_refused_at_start_naming_the_setting(string? url, string model, string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ExternalTeacherOptions { Enabled = true, Url = url, Model = model }.Validate());

        Assert.Contains($"TraceGeneration:ExternalTeacher:{setting}", error.Message, StringComparison.Ordinal);
    }
}
