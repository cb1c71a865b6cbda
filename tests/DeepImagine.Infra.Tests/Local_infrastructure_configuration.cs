using System.Diagnostics;
using DeepImagine.Tests;

namespace DeepImagine.Infra.Tests;

/// <summary>The scripts in infra/local, run as `make test` runs them (root or sudo, after infra-up installed the packages).</summary>
public class Local_infrastructure_configuration
{
    [Fact]
    public void Every_file_RabbitMQ_and_PostgreSQL_read_is_readable_by_their_users_when_written_under_umask_077()
    {
        var (exitCode, output) = Run("infra/local/tests/config-permissions.sh");
        Assert.True(exitCode == 0, $"config-permissions.sh exited with {exitCode}:\n{output}");
        Assert.Contains("ok   rabbitmq can read", output);
        Assert.Contains("ok   postgres can read", output);
    }

    private static (int ExitCode, string Output) Run(string script)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoRoot.Path, script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot.Path,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within 2 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
