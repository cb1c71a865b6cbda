namespace DeepImagine.Cli.Tests;

/// <summary>The CLI as a process: each expected failure is one line on stderr, a documented exit code, no stack trace.</summary>
public class Reporting_cli_failures
{
    private static void AssertOneLine(CliProcess.Result result, int exitCode, params string[] mentions)
    {
        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}, expected {exitCode}; stderr:\n{result.Stderr}");
        Assert.False(result.HasStackTrace, $"a stack trace was printed:\n{result.Stderr}");
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("deepimagine: ", line);
        Assert.Contains(" — ", line);
        foreach (var mention in mentions) Assert.Contains(mention, line);
    }

    [Fact]
    public void A_path_that_does_not_exist_exits_2_naming_the_path()
    {
        AssertOneLine(CliProcess.Run(["import", "/nonexistent"]), 2, "'/nonexistent'", "check the path");
    }

    [Fact]
    public void A_file_that_is_not_a_trial_record_exits_2_naming_the_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"deepimagine-cli-test-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, "not a trial");
        try
        {
            AssertOneLine(CliProcess.Run(["import", "--dry-run", file]), 2, file, "import --help");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Evaluating_with_a_model_from_a_store_that_does_not_exist_exits_2_naming_make_train()
    {
        var winter = Path.Combine(DeepImagine.Tests.RepoRoot.Path, "data", "benchmarks", "ct-open", "winter-2025.json");
        var output = Path.Combine(Path.GetTempPath(), $"deepimagine-cli-test-{Guid.NewGuid():N}");
        try
        {
            AssertOneLine(CliProcess.Run(["evaluate", "--train", winter, "--cv", "2", "--no-knowledge", "--methods", "direct", "--model-store", "/nonexistent-store", "--out", output]),
                2, "/nonexistent-store", "make train");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_option_exits_2_and_points_to_the_commands_help()
    {
        AssertOneLine(CliProcess.Run(["stats", "--bogus"]), 2, "--bogus", "deepimagine stats --help");
    }

    [Fact]
    public void A_missing_required_option_exits_2()
    {
        AssertOneLine(CliProcess.Run(["pairs", "export"]), 2, "--out", "deepimagine pairs export --help");
    }

    [Fact]
    public void An_unreachable_broker_exits_3_within_10_seconds_naming_its_address_and_make_infra_up()
    {
        var result = CliProcess.Run(["import", "data/clindr-dose-response"], new Dictionary<string, string> { ["RabbitMq__Port"] = "5699" });
        AssertOneLine(result, 3, "127.0.0.1:5699", "make infra-up");
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void An_unreachable_gateway_exits_3_within_10_seconds_naming_its_address_and_make_services_up()
    {
        // stats reads pair-miner's API through the gateway (never its tables).
        var result = CliProcess.Run(["stats"], new Dictionary<string, string> { ["Gateway__Url"] = "http://127.0.0.1:5698" });
        AssertOneLine(result, 3, "http://127.0.0.1:5698", "make services-up");
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_to_the_same_line_and_exit_code()
    {
        var result = CliProcess.Run(["import", "--verbose", "/nonexistent"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("deepimagine: no file or folder at '/nonexistent'", result.StderrLines[0]);
        Assert.True(result.HasStackTrace, result.Stderr);
    }

    [Fact]
    public void Help_of_the_root_and_of_a_subcommand_ends_with_an_example()
    {
        var root = CliProcess.Run(["--help"]);
        Assert.Equal(0, root.ExitCode);
        Assert.Contains($"Example:{Environment.NewLine}  ./deepimagine import --wait data", root.Stdout);
        var export = CliProcess.Run(["pairs", "export", "--help"]);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains("  ./deepimagine pairs export --kind natural", export.Stdout);
    }
}
