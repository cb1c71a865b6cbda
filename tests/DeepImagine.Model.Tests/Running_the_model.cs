using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Running_the_model
{
    [Fact]
    public void Uses_hugging_face_parameter_names()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(tied: false), seed: 1);
        var names = model.named_parameters().Select(p => p.name).ToHashSet();

        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", names);
        Assert.Contains("model.layers.1.self_attn.k_norm.weight", names);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", names);
        Assert.Contains("model.layers.1.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.Contains("lm_head.weight", names);
        Assert.Equal(2 * 11 + 3, names.Count);
    }

    [Fact]
    public void Gives_the_same_logits_with_a_kv_cache_as_by_full_recomputation_for_padded_batches()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 2);
        model.eval();
        using var _ = no_grad();
        // Two prompts of different lengths, left-padded with 0s.
        var ids = tensor(new long[,] { { 0, 0, 5, 6, 7, 8 }, { 9, 10, 11, 12, 13, 14 } });
        var mask = tensor(new long[,] { { 0, 0, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1 } });
        var next = tensor(new long[,] { { 21, 22, 23 }, { 31, 32, 33 } });

        var fullIds = cat([ids, next], 1);
        var fullMask = cat([mask, ones_like(next)], 1);
        var full = model.Logits(fullIds, fullMask);

        using var cache = model.NewCache();
        var steps = new List<Tensor> { model.Logits(ids, mask, cache) };
        for (var t = 0; t < 3; t++)
        {
            var stepMask = cat([mask, ones(2, t + 1, dtype: ScalarType.Int64)], 1);
            steps.Add(model.Logits(next[.., t..(t + 1)], stepMask, cache));
        }
        var incremental = cat(steps.ToArray(), 1);

        // Compare at real (non-padding) positions.
        var real = fullMask.to(ScalarType.Bool);
        var difference = (full - incremental).abs().amax(-1).masked_select(real).max().item<float>();
        Assert.True(difference < 1e-4, $"max abs difference {difference}");
    }

    [Fact]
    public void Gives_a_left_padded_sequence_the_logits_it_has_alone()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 3);
        model.eval();
        using var _ = no_grad();
        var alone = model.Logits(tensor(new long[,] { { 5, 6, 7 } }));
        var padded = model.Logits(tensor(new long[,] { { 0, 0, 5, 6, 7 }, { 1, 2, 3, 4, 5 } }), tensor(new long[,] { { 0, 0, 1, 1, 1 }, { 1, 1, 1, 1, 1 } }));

        var difference = (alone[0] - padded[0, 2..]).abs().max().item<float>();
        Assert.True(difference < 1e-4, $"max abs difference {difference}");
    }
}
