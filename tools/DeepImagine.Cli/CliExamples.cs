using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace DeepImagine.Cli;

/// <summary>
/// One example per command, shown at the end of its help. Kept in one table (by command path) so a new command needs
/// one line here; the CLI tests fail for any command without one.
/// </summary>
internal static class CliExamples
{
    public static readonly IReadOnlyDictionary<string, string> ByCommand = new Dictionary<string, string>
    {
        ["deepimagine"] = "./deepimagine import --wait data",
        ["deepimagine import"] = "./deepimagine import --dry-run data/ctgov-v2-json",
        ["deepimagine stats"] = "./deepimagine stats",
        ["deepimagine pairs"] = "./deepimagine pairs stats",
        ["deepimagine pairs export"] = "./deepimagine pairs export --kind natural --factor dose --out dose-pairs.jsonl",
        ["deepimagine pairs stats"] = "./deepimagine pairs stats",
        ["deepimagine pairs remine"] = "./deepimagine pairs remine --timeout 600",
        ["deepimagine train"] = "./deepimagine train --kind sft --factor dose --wait",
        ["deepimagine bench grpo"] = "./deepimagine bench grpo --steps 10 --report docs/benchmarks.md",
        ["deepimagine bench operators"] = "./deepimagine bench operators --store /tmp/operators-store --set with_trace=0 --factor dose",
        ["deepimagine bench train"] = "./deepimagine bench train --steps 40 --report docs/benchmarks.md",
        ["deepimagine bench predict"] = "./deepimagine bench predict --requests 64 --clients 8 --report docs/benchmarks.md",
        ["deepimagine jobs"] = "./deepimagine jobs list",
        ["deepimagine jobs list"] = "./deepimagine jobs list",
        ["deepimagine jobs show"] = "./deepimagine jobs show 0b3e2fd0-0000-0000-0000-000000000000",
        ["deepimagine jobs cancel"] = "./deepimagine jobs cancel 0b3e2fd0-0000-0000-0000-000000000000",
        ["deepimagine models"] = "./deepimagine models list",
        ["deepimagine models list"] = "./deepimagine models list",
        ["deepimagine models register"] = "./deepimagine models register --name qwen3-0.6b --path /models/Qwen3-0.6B",
        ["deepimagine pairs audit"] = "./deepimagine pairs audit data/",
        ["deepimagine bench"] = "./deepimagine bench ingest --sizes 1000",
        ["deepimagine bench ingest"] = "./deepimagine bench ingest --sizes 1000 10000 --report docs/benchmarks.md",
        ["deepimagine bench pairs"] = "./deepimagine bench pairs --sizes 1000 10000",
        ["deepimagine bench model"] = "./deepimagine bench model --skip-pytorch",
        ["deepimagine bench rollouts"] = "./deepimagine bench rollouts --prompts 8 --group-size 8 --report docs/benchmarks.md",
        ["deepimagine model"] = "./deepimagine model inspect models/base/v1",
        ["deepimagine model inspect"] = "./deepimagine model inspect models/base/v1",
        ["deepimagine evaluate"] = "./deepimagine evaluate --train data/benchmarks/ct-open/winter-2025.json --cv 5 --methods prior,logreg,forest --out .run/evaluation/ct-open",
        ["deepimagine evaluate-dose"] = "./deepimagine evaluate-dose --data data/clindr-dose-response --holdout-fraction 0.25 --out .run/evaluation/dose",
        ["deepimagine datasets"] = "./deepimagine datasets list",
        ["deepimagine datasets list"] = "./deepimagine datasets list",
        ["deepimagine datasets wait"] = "./deepimagine datasets wait --quiet-seconds 20 --timeout 900",
        ["deepimagine errors"] = "./deepimagine errors list",
        ["deepimagine errors list"] = "./deepimagine errors list --queue pair-miner-trial-published_error --max 5",
        ["deepimagine errors replay"] = "./deepimagine errors replay --queue pair-miner-trial-stored_error --match NCT01037244",
    };

    /// <summary>Every command of the tree with its path ("deepimagine pairs export").</summary>
    public static IEnumerable<(string Path, Command Command)> Walk(Command command, string path = "deepimagine")
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var nested in Walk(sub, $"{path} {sub.Name}"))
                yield return nested;
    }

    /// <summary>Makes --help print the command's example after the usual help.</summary>
    public static RootCommand AddTo(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExample((HelpAction)help.Action!);
        return root;
    }

    private sealed class HelpWithExample(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exitCode = help.Invoke(parseResult);
            if (ByCommand.TryGetValue(CliApp.CommandPath(parseResult.CommandResult), out var example))
                parseResult.InvocationConfiguration.Output.WriteLine($"Example:{Environment.NewLine}  {example}{Environment.NewLine}");
            return exitCode;
        }
    }
}
