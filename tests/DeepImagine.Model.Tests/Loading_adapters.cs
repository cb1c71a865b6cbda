using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Loading_adapters
{
    private static string SavedAdapter(Action<JsonObject> edit)
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 51);
        model.AddLora(new LoraSettings(Rank: 4, Alpha: 8));
        var directory = Path.Combine(Path.GetTempPath(), "di-adapter-" + Guid.NewGuid().ToString("N"));
        Checkpoint.SaveAdapter(model, directory);
        var path = Path.Combine(directory, Checkpoint.AdapterConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
        return directory;
    }

    [Theory]
    [InlineData("use_rslora", "true")]
    [InlineData("use_dora", "true")]
    [InlineData("fan_in_fan_out", "true")]
    [InlineData("rank_pattern", "{\"q_proj\": 8}")]
    [InlineData("alpha_pattern", "{\"q_proj\": 32}")]
    [InlineData("modules_to_save", "[\"lm_head\"]")]
    public void Rejects_peft_options_it_does_not_implement_naming_them(string option, string value)
    {
        var directory = SavedAdapter(c => c[option] = JsonNode.Parse(value));
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 51);

        var error = Assert.Throws<NotSupportedException>(() => Checkpoint.LoadAdapter(model, directory));

        Assert.Contains($"'{option}'", error.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Accepts_peft_defaults_and_all_linear_targets()
    {
        var directory = SavedAdapter(c =>
        {
            c["target_modules"] = "all-linear";
            c["use_rslora"] = false;
            c["use_dora"] = false;
            c["fan_in_fan_out"] = false;
            c["rank_pattern"] = new JsonObject();
            c["alpha_pattern"] = new JsonObject();
            c["modules_to_save"] = null;
        });
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 51);

        Checkpoint.LoadAdapter(model, directory);

        Assert.Equal(LoraSettings.DefaultTargets, model.LoraTargets);
        Assert.Equal(2 * 2 * 7, model.LoraParameters().Count);
        Directory.Delete(directory, recursive: true);
    }
}
