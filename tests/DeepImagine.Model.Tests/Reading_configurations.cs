namespace DeepImagine.Model.Tests;

public class Reading_configurations
{
    private static Qwen3Config Read(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), "di-config-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        try
        {
            return Qwen3Config.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private const string Sizes = "\"vocab_size\": 300, \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2";

    [Theory]
    [InlineData("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling")]
    [InlineData("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}", "rope_scaling")]
    [InlineData("\"rope_parameters\": {\"rope_type\": \"dynamic\", \"rope_theta\": 1000000.0, \"factor\": 2.0}", "rope_parameters")]
    [InlineData("\"use_sliding_window\": true, \"sliding_window\": 4096", "use_sliding_window")]
    public void Rejects_attention_options_it_does_not_implement_naming_the_key(string option, string key)
    {
        var error = Assert.Throws<NotSupportedException>(() => Read($"{{ {Sizes}, \"head_dim\": 16, {option} }}"));

        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_default_rope_and_disabled_sliding_windows()
    {
        var config = Read($"{{ {Sizes}, \"head_dim\": 16, \"rope_scaling\": null, \"use_sliding_window\": false, \"sliding_window\": null }}");

        Assert.Equal(16, config.HeadDim);
    }

    [Fact]
    public void Takes_rope_theta_from_transformers_v5_rope_parameters()
    {
        var config = Read($"{{ {Sizes}, \"head_dim\": 16, \"rope_parameters\": {{\"rope_type\": \"default\", \"rope_theta\": 500000.0}} }}");

        Assert.Equal(500_000, config.RopeTheta);
    }

    [Fact]
    public void Fills_missing_keys_with_hugging_face_defaults()
    {
        var config = Read($"{{ {Sizes} }}");

        Assert.False(config.TieWordEmbeddings);
        Assert.Equal(128, config.HeadDim);
        Assert.Equal(10_000, config.RopeTheta);
    }

    [Fact]
    public void Reads_a_list_of_end_of_sequence_ids_and_writes_it_back()
    {
        var config = Read($"{{ {Sizes}, \"head_dim\": 16, \"eos_token_id\": [151645, 151643] }}");

        Assert.Equal([151645, 151643], config.EosTokenIds!);
        Assert.Equal(151645, config.EosTokenId);
        Assert.Equal([151645, 151643], config.Clone().EosTokenIds!);
        Assert.Equal([7], Read($"{{ {Sizes}, \"head_dim\": 16, \"eos_token_id\": 7 }}").EosTokenIds!);
    }
}
