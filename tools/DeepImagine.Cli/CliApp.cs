using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace DeepImagine.Cli;

/// <summary>Parses, runs the command, and turns every failure into one line and an exit code (<see cref="ExitCodes"/>).</summary>
internal static class CliApp
{
    /// <summary>Recursive, so it is accepted after any command: <c>deepimagine import --verbose x</c>.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "on failure, also print the stack trace", Recursive = true };

    public static async Task<int> RunAsync(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        var root = CliExamples.AddTo(CliCommands.Build());
        root.Options.Add(Verbose);
        var parsed = root.Parse(args);
        var commandPath = CommandPath(parsed.CommandResult);
        if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
        {
            foreach (var parseError in parsed.Errors) error.WriteLine($"deepimagine: {parseError.Message} — see '{commandPath} --help'");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the user stopped it; 130 is the shell's code for SIGINT.
            error.WriteLine("deepimagine: cancelled");
            return 130;
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex, error, parsed.GetValue(Verbose), commandPath, CliHost.LoadSettings());
        }
    }

    public static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is not null; result = result.Parent)
            if (result is CommandResult c) names.Insert(0, c.Command is RootCommand ? "deepimagine" : c.Command.Name);
        return string.Join(' ', names);
    }
}
