using System.CommandLine;
using System.Globalization;
using DeepImagine.Model;

namespace DeepImagine.Cli;

/// <summary><c>deepimagine model inspect DIR</c>.</summary>
internal static class ModelCommands
{
    public static Command Build()
    {
        var model = new Command("model", "Model checkpoints (Hugging Face layout: config.json, safetensors, tokenizer).");
        var directory = new Argument<string>("directory") { Description = "checkpoint directory" };
        var inspect = new Command("inspect", "Print a checkpoint's architecture, parameter count, dtype and tokenizer without loading its weights.") { directory };
        inspect.SetAction(result =>
        {
            Inspect(result.GetValue(directory)!, Console.Out);
            return 0;
        });
        model.Subcommands.Add(inspect);
        return model;
    }

    public static void Inspect(string directory, TextWriter output)
    {
        CheckpointSummary summary;
        try
        {
            summary = Checkpoint.Describe(directory);
        }
        catch (InvalidDataException ex)
        {
            // A malformed file is the user's input: reported as such (one line, exit code 2).
            throw new ArgumentException($"{ex.Message}; fix or regenerate the checkpoint", ex);
        }
        var c = summary.Config;
        var invariant = CultureInfo.InvariantCulture;
        output.WriteLine($"checkpoint {Path.GetFullPath(directory)}");
        output.WriteLine(string.Create(invariant,
            $"architecture {string.Join(",", c.Architectures)} ({c.ModelType}) layers={c.NumHiddenLayers} hidden={c.HiddenSize} intermediate={c.IntermediateSize} heads={c.NumAttentionHeads} kv_heads={c.NumKeyValueHeads} head_dim={c.HeadDim} vocab={c.VocabSize} tied_embeddings={c.TieWordEmbeddings.ToString().ToLowerInvariant()} rope_theta={c.RopeTheta} max_positions={c.MaxPositionEmbeddings}"));
        output.WriteLine(string.Create(invariant, $"parameters {summary.ParameterCount:N0} ({summary.ParameterCount / 1e6:0.###}M) in {summary.WeightFiles} file(s)"));
        var stored = string.Join(", ", summary.ParametersByStoredType.Select(kv => $"{Safetensors.DTypeName(kv.Key)} {kv.Value:N0}"));
        output.WriteLine($"dtype {c.TorchDtype} (stored: {stored})");
        output.WriteLine(summary.Tokenizer is { } t
            ? $"tokenizer vocab={t.VocabSize} special_tokens={t.SpecialTokens.Count} pad={t.PadId} im_end={t.ImEndId} thinking_markers={(t.HasThinkingMarkers ? "yes" : "no")}"
            : "tokenizer none (no tokenizer.json or vocab.json + merges.txt)");
        if (summary.Adapter is { } adapter)
            output.WriteLine(string.Create(invariant, $"adapter lora r={adapter.Settings.Rank} alpha={adapter.Settings.Alpha} targets={string.Join(",", adapter.Targets)}"));
    }
}
