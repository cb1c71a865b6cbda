using System.Diagnostics;
using DeepImagine.Tests;

namespace DeepImagine.Cli.Tests;

/// <summary>Runs the built CLI (deepimagine.dll beside the tests) as a user would, from the repository root.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        public bool HasStackTrace => Stderr.Contains("   at ", StringComparison.Ordinal) || Stdout.Contains("   at ", StringComparison.Ordinal);
    }

    public static Result Run(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deepimagine.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"deepimagine {string.Join(' ', args)} did not exit within 60 s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }
}
