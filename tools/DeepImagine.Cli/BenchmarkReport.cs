using System.Runtime.InteropServices;

namespace DeepImagine.Cli;

/// <summary>Keeps docs/benchmarks.md: each benchmark owns one marked section, rewritten on every run.</summary>
internal static class BenchmarkReport
{
    public static void Update(string path, string section, string markdown)
    {
        var start = $"<!-- bench:{section}:start -->";
        var end = $"<!-- bench:{section}:end -->";
        var block = $"{start}\n{markdown.Trim()}\n{end}";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\nEach section is written by its `make bench-…` target; the machine and command are given in it.\n";
        var from = text.IndexOf(start, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        text = from >= 0 && to > from
            ? text[..from] + block + text[(to + end.Length)..]
            : text.TrimEnd() + "\n\n" + block + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }

    /// <summary>"2 cores (model), 23 GiB, Linux": the machine a figure was measured on.</summary>
    public static string Machine()
    {
        var model = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        var memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores ({model}), {memoryGiB:0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
