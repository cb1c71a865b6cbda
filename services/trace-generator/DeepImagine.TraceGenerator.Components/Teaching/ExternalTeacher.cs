using System.ClientModel;
using System.ClientModel.Primitives;
using DeepImagine.Imagining;
using OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace DeepImagine.TraceGenerator.Teaching;

/// <summary>An external teacher's answer: its trace when kept, else why it was refused.</summary>
public sealed record TeacherAttempt(StepTrace? Trace, string? Refusal);

/// <summary>
/// An OpenAI-compatible chat model asked the step's own prompt (it is not told the observed result). Its trace is kept
/// only when its RESULT line parses and agrees with the observed result: the same direction, and the same significance
/// where both say one.
/// </summary>
public sealed class ExternalTeacher(IChatClient chat, ExternalTeacherOptions options, ILogger<ExternalTeacher> logger)
{
    /// <summary>The chat client for the configured endpoint: one retry, the configured time-out, any key where none is set (local servers take any).</summary>
    public static IChatClient CreateChatClient(ExternalTeacherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new OpenAIClient(
                new ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "none" : options.ApiKey),
                new OpenAIClientOptions
                {
                    Endpoint = new Uri(options.Url ?? throw new ArgumentException("ExternalTeacher:Url is not set", nameof(options))),
                    NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 1),
                })
            .GetChatClient(options.Model ?? throw new ArgumentException("ExternalTeacher:Model is not set", nameof(options)))
            .AsIChatClient();
    }

    public string SourceName => TraceSources.External(options.Model ?? "unnamed");

    public async Task<TeacherAttempt> TryAsync(PairStep step, CancellationToken cancellationToken)
    {
        var prompt = step.Prompt;
        string completion;
        try
        {
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, prompt.System), new ChatMessage(ChatRole.User, prompt.User)],
                new ChatOptions { ModelId = options.Model, Temperature = (float)options.Temperature },
                cancellationToken);
            completion = response.Text;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.ClientModel.ClientResultException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "external teacher {Source} failed on a {Factor} step; the grounded trace is used", SourceName, step.Factor);
            return new TeacherAttempt(null, $"request failed: {ex.Message}");
        }

        var answer = StepAnswer.Parse(completion);
        if (!answer.IsParseable) return new TeacherAttempt(null, $"unparseable answer: {answer.Error}");
        if (Disagreement(answer, step.Observed) is { } disagreement) return new TeacherAttempt(null, disagreement);
        var trace = StepAnswer.Trace(completion);
        if (trace.Length == 0) return new TeacherAttempt(null, "no reasoning before the RESULT line");
        return new TeacherAttempt(new StepTrace(trace, [], SourceName), null);
    }

    /// <summary>Why an answer disagrees with the observed result, or null when it agrees.</summary>
    public static string? Disagreement(ImaginedResult answer, ImaginedResult observed)
    {
        if (answer.Direction != observed.Direction)
            return $"direction {StepFormat.Word(answer.Direction)} disagrees with the observed {StepFormat.Word(observed.Direction)}";
        if (answer.Significant is { } said && observed.Significant is { } seen && said != seen)
            return $"significant={(said ? "yes" : "no")} disagrees with the observed {(seen ? "yes" : "no")}";
        return null;
    }
}
