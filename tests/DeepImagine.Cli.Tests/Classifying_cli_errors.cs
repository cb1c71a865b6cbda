using System.Text.Json;
using DeepImagine.Trials;
using Microsoft.Extensions.Configuration;

namespace DeepImagine.Cli.Tests;

/// <summary>The one top-level handler, in process: which exception types are a user's mistake, which a bug.</summary>
public class Classifying_cli_errors
{
    private static readonly IConfiguration Settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:deepimagine"] = "Host=127.0.0.1;Port=5432;Database=deepimagine;Username=u;Password=p",
    }).Build();

    public static TheoryData<Exception> UsersMistakes() => new()
    {
        new ArgumentException("--epochs must be positive"),
        new ArgumentOutOfRangeException("rank", "rank must be 1..256"),
        new FileNotFoundException("no checkpoint at 'x'"),
        new DirectoryNotFoundException("no folder 'y'"),
        new NotSupportedException("'z' is not a trial record file"),
        new UnauthorizedAccessException("access to '/root/x' is denied"),
        new JsonException("'}' is invalid after a value. LineNumber: 3"),
        new TrialValidationException("NCT00000001", "phase", "unknown value 'X'"),
        new AggregateException(new FileNotFoundException("wrapped")),
    };

    [Theory]
    [MemberData(nameof(UsersMistakes))]
    public void A_users_mistake_is_one_line_with_a_hint_and_exit_code_2(Exception exception)
    {
        var error = new StringWriter();
        var code = CliErrors.Report(exception, error, verbose: false, "deepimagine train", Settings);
        Assert.Equal(ExitCodes.Usage, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches("^deepimagine: .+ — .+", line);
    }

    [Fact]
    public void A_message_with_its_own_hint_keeps_it()
    {
        var (_, line) = CliErrors.Classify(new ArgumentException("unknown job 'abc' — list jobs with 'deepimagine jobs'"), "deepimagine jobs", Settings);
        Assert.Equal("unknown job 'abc' — list jobs with 'deepimagine jobs'", line);
    }

    [Fact]
    public void Any_other_exception_is_a_bug_reported_with_its_stack_trace_and_exit_code_1()
    {
        var error = new StringWriter();
        Exception bug;
        try { throw new InvalidOperationException("sequence contains no elements"); }
        catch (Exception ex) { bug = ex; }
        var code = CliErrors.Report(bug, error, verbose: false, "deepimagine", Settings);
        Assert.Equal(ExitCodes.Bug, code);
        Assert.StartsWith("deepimagine: unexpected error (InvalidOperationException): sequence contains no elements", error.ToString());
        Assert.Contains("   at ", error.ToString());
    }

    [Fact]
    public void A_timeout_waiting_for_the_services_is_exit_code_3_with_how_to_start_them()
    {
        var (code, line) = CliErrors.Classify(new TimeoutException("only 3 of 10 records were mined or rejected within 300 s"), "deepimagine import", Settings);
        Assert.Equal(ExitCodes.InfrastructureUnreachable, code);
        Assert.Contains("make services-up", line);
    }

    public static TheoryData<Exception> ServicesNotAnswering() => new()
    {
        new HttpRequestException("Connection refused (127.0.0.1:5100)"),
        new HttpRequestException("GET /api/pairs answered 502", null, System.Net.HttpStatusCode.BadGateway),
        new MassTransit.RequestTimeoutException("RemineTrials timed out"),
    };

    [Theory]
    [MemberData(nameof(ServicesNotAnswering))]
    public void Pair_miners_API_or_command_not_answering_is_exit_code_3_with_how_to_start_the_services(Exception exception)
    {
        var (code, line) = CliErrors.Classify(exception, "deepimagine pairs export", Settings);
        Assert.Equal(ExitCodes.InfrastructureUnreachable, code);
        Assert.Contains("make services-up", line);
    }

    [Fact]
    public void Every_command_has_an_example_for_its_help()
    {
        var missing = CliExamples.Walk(CliCommands.Build()).Select(c => c.Path).Where(path => !CliExamples.ByCommand.ContainsKey(path)).ToList();
        Assert.True(missing.Count == 0, "commands without an example in CliExamples.ByCommand: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_example_belongs_to_a_command_that_exists()
    {
        var paths = CliExamples.Walk(CliCommands.Build()).Select(c => c.Path).ToHashSet();
        Assert.All(CliExamples.ByCommand.Keys, path => Assert.Contains(path, paths));
    }
}
