using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Describing_checkpoints
{
    private static string Reference => Path.Combine(Corpus.Root, "tests", "DeepImagine.Model.Tests", "Fixtures", "qwen3-reference");

    [Fact]
    public void Counts_parameters_by_stored_type_from_the_headers_alone()
    {
        var summary = Checkpoint.Describe(Reference);

        // 128·64 embeddings + 64·128 head + 64 final norm + 2 layers × (64·128 + 2·64·64 + 128·64 + 2·32 + 3·64·96 + 2·64).
        Assert.Equal(128 * 64 * 2 + 64 + 2 * (64 * 128 + 2 * 64 * 64 + 128 * 64 + 2 * 32 + 3 * 64 * 96 + 2 * 64), summary.ParameterCount);
        Assert.Equal([ScalarType.BFloat16], summary.ParametersByStoredType.Keys);
        Assert.Equal(2, summary.WeightFiles);
        Assert.Null(summary.Tokenizer);
        Assert.Equal(4, summary.Adapter!.Value.Settings.Rank);
    }

    [Fact]
    public void Refuses_a_checkpoint_with_yarn_rope_scaling_naming_the_key()
    {
        var copy = Path.Combine(Path.GetTempPath(), "di-describe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Reference)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "config.json")))!.AsObject();
        config["rope_scaling"] = JsonNode.Parse("{\"rope_type\": \"yarn\", \"factor\": 4.0}");
        File.WriteAllText(Path.Combine(copy, "config.json"), config.ToJsonString());

        var error = Assert.Throws<NotSupportedException>(() => Checkpoint.Describe(copy));

        Assert.Contains("'rope_scaling'", error.Message, StringComparison.Ordinal);
        Directory.Delete(copy, recursive: true);
    }
}
