using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Calling_modules
{
    [Fact]
    public void Runs_every_module_through_its_typed_forward()
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config();
        using var model = Qwen3ForCausalLM.CreateRandom(config, seed: 61);
        model.eval();
        using var _ = no_grad();
        var ids = tensor(new long[,] { { 0, 5, 6, 7 }, { 1, 2, 3, 4 } });
        var mask = tensor(new long[,] { { 0, 1, 1, 1 }, { 1, 1, 1, 1 } });

        var typed = model.Forward(new CausalLMInput(ids, mask)).Logits;
        var layer = new Qwen3DecoderLayer(config);
        var hidden = randn(2, 4, config.HiddenSize);
        var cos = ones(2, 4, config.HeadDim);
        var sin = zeros(2, 4, config.HeadDim);
        var byForward = layer.forward(new Qwen3LayerInput(hidden, cos, sin, AttentionMask.Causal, null, 0));
        var byMethod = layer.Forward(hidden, cos, sin, AttentionMask.Causal, null, 0);

        Assert.Equal(0f, (typed - model.Logits(ids, mask)).abs().max().item<float>());
        Assert.Equal(0f, (byForward - byMethod).abs().max().item<float>());
        Assert.Equal(0f, (model.forward(ids) - model.Logits(ids)).abs().max().item<float>());
    }

    [Fact]
    public void Decodes_through_any_kv_cache_implementation()
    {
        using var scope = NewDisposeScope();
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 62);
        model.eval();
        using var _ = no_grad();
        var ids = tensor(new long[,] { { 5, 6, 7, 8, 9 } });
        using IKVCache cache = new ConcatenatingCache();

        var first = model.Forward(new CausalLMInput(ids[.., ..3], null, cache)).Logits;
        var rest = model.Forward(new CausalLMInput(ids[.., 3..], null, cache)).Logits;

        Assert.True((cat([first, rest], 1) - model.Logits(ids)).abs().max().item<float>() < 1e-4);
    }

    /// <summary>The simplest cache: concatenation per layer, as Microsoft.ML.GenAI's DynamicKVCache does.</summary>
    private sealed class ConcatenatingCache : IKVCache
    {
        private readonly Dictionary<int, (Tensor K, Tensor V)> _layers = [];

        public long Length => _layers.TryGetValue(0, out var l) ? l.K.shape[2] : 0;

        public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
        {
            var next = _layers.TryGetValue(layer, out var old) ? (cat([old.K, keys], 2), cat([old.V, values], 2)) : (keys.clone(), values.clone());
            if (_layers.ContainsKey(layer)) { old.K.Dispose(); old.V.Dispose(); }
            _layers[layer] = (next.Item1.DetachFromDisposeScope(), next.Item2.DetachFromDisposeScope());
            return _layers[layer];
        }

        public void Dispose()
        {
            foreach (var (k, v) in _layers.Values) { k.Dispose(); v.Dispose(); }
        }
    }
}
