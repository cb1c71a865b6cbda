using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

// Field names are Hugging Face's parameter names (RegisterComponents uses them), so checkpoints interchange.
#pragma warning disable IDE1006

/// <summary>Root-mean-square layer norm, computed in float32 as Hugging Face's Qwen3RMSNorm does.</summary>
public sealed class Qwen3RMSNorm : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    // Held for the module's life: an implicit double → Scalar made for one call may be finalized while libtorch still
    // reads it (seen as "Unknown scalar type" in RMSNorm under GC pressure).
    private readonly Scalar epsScalar;

    public Qwen3RMSNorm(long size, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(Qwen3RMSNorm))
    {
        weight = new Parameter(ones(size, dtype: dtype, device: device));
        this.eps = eps;
        epsScalar = eps.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var dtype = input.dtype;
        var x = input.to(ScalarType.Float32);
        var variance = x.square().mean([-1], keepdim: true);
        x = x * rsqrt(variance.add(epsScalar));
        return (weight * x.to(dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class Qwen3MLP : Module<Tensor, Tensor>
{
    private readonly ProjectionLinear gate_proj;
    private readonly ProjectionLinear up_proj;
    private readonly ProjectionLinear down_proj;

    public Qwen3MLP(Qwen3Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Qwen3MLP))
    {
        gate_proj = new ProjectionLinear(config.HiddenSize, config.IntermediateSize, false, device, dtype);
        up_proj = new ProjectionLinear(config.HiddenSize, config.IntermediateSize, false, device, dtype);
        down_proj = new ProjectionLinear(config.IntermediateSize, config.HiddenSize, false, device, dtype);
        RegisterComponents();
    }

    public IEnumerable<(string Name, ProjectionLinear Projection)> Projections =>
        [(nameof(gate_proj), gate_proj), (nameof(up_proj), up_proj), (nameof(down_proj), down_proj)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(functional.silu(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Keys and values of earlier positions, per layer, for incremental decoding (Microsoft.ML.GenAI's IKVCache idea): a
/// layer appends its new keys and values and gets back all of them.
/// </summary>
public interface IKVCache : IDisposable
{
    /// <summary>Positions cached so far (after the current step's layer 0 has appended).</summary>
    long Length { get; }

    /// <summary>Appends this step's keys and values [batch, kv heads, new, head dim] and returns views of all of them.</summary>
    (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values);
}

/// <summary>
/// An <see cref="IKVCache"/> whose layers each keep keys and values in one buffer with room to spare, written in place,
/// so a decoding step copies only its own new position. Buffers are allocated empty: pages become resident only as
/// positions are written.
/// </summary>
public sealed class KvCache : IKVCache
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly long _initialCapacity;
    private long _length;

    public KvCache(int layers, long capacity = 256)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _initialCapacity = Math.Max(1, capacity);
    }

    public long Length => _length;

    /// <summary>Bytes held by the buffers (their whole capacity).</summary>
    public long ReservedBytes => _keys.Concat(_values).Sum(t => t is null ? 0 : t.NumberOfElements * t.ElementSize);

    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var added = keys.shape[2];
        var start = layer == 0 ? _length : _length - added; // layer 0 advances the length for the step
        if (layer == 0) _length += added;
        _keys[layer] = Reserve(_keys[layer], keys, _length);
        _values[layer] = Reserve(_values[layer], values, _length);
        _keys[layer]!.narrow(2, start, added).copy_(keys);
        _values[layer]!.narrow(2, start, added).copy_(values);
        return (_keys[layer]!.narrow(2, 0, _length), _values[layer]!.narrow(2, 0, _length));
    }

    private Tensor Reserve(Tensor? buffer, Tensor like, long needed)
    {
        if (buffer is not null && buffer.shape[2] >= needed) return buffer;
        var capacity = Math.Max(needed, Math.Max(_initialCapacity, (buffer?.shape[2] ?? 0) * 2));
        var grown = empty([like.shape[0], like.shape[1], capacity, like.shape[3]], dtype: like.dtype, device: like.device).DetachFromDisposeScope();
        if (buffer is not null)
        {
            grown.narrow(2, 0, buffer.shape[2]).copy_(buffer);
            buffer.Dispose();
        }
        return grown;
    }

    /// <summary>
    /// A cache for <paramref name="batch"/> rows that all start with <paramref name="prefix"/>: its keys and values are
    /// copied into every row, so the rows' own tokens are fed after it without encoding the prefix again.
    /// </summary>
    public static KvCache StartingWith(PromptPrefix prefix, int batch, long capacity)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "at least one row is needed");
        var cache = new KvCache(prefix.Layers, Math.Max(capacity, prefix.Tokens.Count));
        for (var layer = 0; layer < prefix.Layers; layer++)
        {
            var (keys, values) = prefix.Layer(layer);
            cache._keys[layer] = cache.Reserve(null, keys.expand(batch, -1, -1, -1), cache._initialCapacity);
            cache._values[layer] = cache.Reserve(null, values.expand(batch, -1, -1, -1), cache._initialCapacity);
            cache._keys[layer]!.narrow(2, 0, prefix.Tokens.Count).copy_(keys.expand(batch, -1, -1, -1));
            cache._values[layer]!.narrow(2, 0, prefix.Tokens.Count).copy_(values.expand(batch, -1, -1, -1));
        }
        cache._length = prefix.Tokens.Count;
        return cache;
    }

    /// <summary>
    /// Copies <paramref name="source"/>'s columns [from, from + count) of every layer into columns [at, at + count) of
    /// this cache's <paramref name="rows"/> (of <paramref name="batch"/>); before the first placement the columns from
    /// <paramref name="clearFrom"/> on are zeroed (left padding: masked, but never garbage that could turn into NaN).
    /// The cache then holds <paramref name="length"/> positions.
    /// </summary>
    internal void Place(KvCache source, Tensor rows, int batch, long from, long count, long at, long clearFrom, long length)
    {
        for (var layer = 0; layer < _keys.Length; layer++)
        {
            var (keys, values) = source.Layer(layer);
            if (_keys[layer] is { } buffer && buffer.shape[2] < length)
                throw new InvalidOperationException($"the cache holds {buffer.shape[2]} positions; {length} were to be placed");
            if (_keys[layer] is null)
            {
                var capacity = Math.Max(length, _initialCapacity);
                _keys[layer] = zeros([batch, keys.shape[1], capacity, keys.shape[3]], dtype: keys.dtype, device: keys.device).DetachFromDisposeScope();
                _values[layer] = zeros([batch, values.shape[1], capacity, values.shape[3]], dtype: values.dtype, device: values.device).DetachFromDisposeScope();
            }
            else if (_length < length)
            {
                _keys[layer]!.narrow(2, clearFrom, length - clearFrom).zero_();
                _values[layer]!.narrow(2, clearFrom, length - clearFrom).zero_();
            }
            _keys[layer]!.narrow(2, at, count).index_copy_(0, rows, keys.narrow(2, from, count));
            _values[layer]!.narrow(2, at, count).index_copy_(0, rows, values.narrow(2, from, count));
        }
        _length = length;
    }

    /// <summary>This layer's keys and values so far [batch, kv heads, length, head dim] (views into the buffers).</summary>
    internal (Tensor Keys, Tensor Values) Layer(int layer) => (_keys[layer]!.narrow(2, 0, _length), _values[layer]!.narrow(2, 0, _length));

    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
    }
}

/// <summary>
/// The keys and values of a token prefix that many prompts share (a chat's system message), computed once for one
/// model: <see cref="TextGenerator.Start"/> starts every row from them instead of encoding the prefix per row. Valid
/// only for the model (and adapters) it was computed with.
/// </summary>
public sealed class PromptPrefix : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    private PromptPrefix(Qwen3ForCausalLM model, IReadOnlyList<int> tokens, Tensor[] keys, Tensor[] values)
    {
        Model = model;
        Tokens = tokens;
        _keys = keys;
        _values = values;
    }

    /// <summary>The model the keys and values belong to (another model's would silently give wrong results).</summary>
    public Qwen3ForCausalLM Model { get; }
    public IReadOnlyList<int> Tokens { get; }
    internal int Layers => _keys.Length;
    internal (Tensor Keys, Tensor Values) Layer(int layer) => (_keys[layer], _values[layer]);

    /// <summary>Encodes <paramref name="tokens"/> once (one row, no padding) and keeps every layer's keys and values.</summary>
    public static PromptPrefix Compute(Qwen3ForCausalLM model, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tokens is null || tokens.Count == 0) throw new ArgumentException("a prefix needs at least one token", nameof(tokens));
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var cache = model.NewCache(tokens.Count);
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), device: model.Device).unsqueeze(0);
        model.Forward(new CausalLMInput(ids, null, cache) { LastPositionOnly = true });
        var layers = model.Config.NumHiddenLayers;
        var keys = new Tensor[layers];
        var values = new Tensor[layers];
        for (var layer = 0; layer < layers; layer++)
        {
            var (k, v) = cache.Layer(layer);
            keys[layer] = k.clone().DetachFromDisposeScope();
            values[layer] = v.clone().DetachFromDisposeScope();
        }
        return new PromptPrefix(model, tokens.ToList(), keys, values);
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t.Dispose();
    }
}

/// <summary>What a decoder layer (and its attention) takes: hidden states [batch, seq, hidden], rotary cos/sin
/// [batch, seq, head_dim], the mask, and the cache with this layer's index.</summary>
public sealed record Qwen3LayerInput(Tensor Hidden, Tensor Cos, Tensor Sin, AttentionMask Mask, IKVCache? Cache, int Layer);

/// <summary>What the transformer body takes: token ids and their positions [batch, seq], the mask, the cache.</summary>
public sealed record Qwen3ModelInput(Tensor InputIds, Tensor Positions, AttentionMask Mask, IKVCache? Cache);

/// <summary>Which keys each query may attend to: an explicit boolean mask [batch, 1, queries, keys], plain causal, or all.</summary>
public sealed record AttentionMask(Tensor? Allowed, bool IsCausal)
{
    public static readonly AttentionMask None = new(null, false);
    public static readonly AttentionMask Causal = new(null, true);
}

/// <summary>Grouped-query attention with per-head q/k RMSNorm and rotary position embeddings.</summary>
public sealed class Qwen3Attention : Module<Qwen3LayerInput, Tensor>
{
    private readonly ProjectionLinear q_proj;
    private readonly ProjectionLinear k_proj;
    private readonly ProjectionLinear v_proj;
    private readonly ProjectionLinear o_proj;
    private readonly Qwen3RMSNorm q_norm;
    private readonly Qwen3RMSNorm k_norm;
    private readonly int _heads, _kvHeads, _headDim;

    public Qwen3Attention(Qwen3Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Qwen3Attention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = new ProjectionLinear(config.HiddenSize, _heads * _headDim, config.AttentionBias, device, dtype);
        k_proj = new ProjectionLinear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, device, dtype);
        v_proj = new ProjectionLinear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, device, dtype);
        o_proj = new ProjectionLinear(_heads * _headDim, config.HiddenSize, config.AttentionBias, device, dtype);
        q_norm = new Qwen3RMSNorm(_headDim, config.RmsNormEps, device, dtype);
        k_norm = new Qwen3RMSNorm(_headDim, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    public IEnumerable<(string Name, ProjectionLinear Projection)> Projections =>
        [(nameof(q_proj), q_proj), (nameof(k_proj), k_proj), (nameof(v_proj), v_proj), (nameof(o_proj), o_proj)];

    public override Tensor forward(Qwen3LayerInput input) => Forward(input.Hidden, input.Cos, input.Sin, input.Mask, input.Cache, input.Layer);

    /// <param name="hidden">[batch, seq, hidden]</param>
    /// <param name="cos">[batch, seq, head_dim] rotary cosines for these positions</param>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, AttentionMask mask, IKVCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var (batch, seq) = (hidden.shape[0], hidden.shape[1]);
        var q = q_norm.forward(q_proj.forward(hidden).view(batch, seq, _heads, _headDim)).transpose(1, 2);
        var k = k_norm.forward(k_proj.forward(hidden).view(batch, seq, _kvHeads, _headDim)).transpose(1, 2);
        var v = v_proj.forward(hidden).view(batch, seq, _kvHeads, _headDim).transpose(1, 2);
        var c = cos.unsqueeze(1);
        var s = sin.unsqueeze(1);
        q = q * c + RotateHalf(q) * s;
        k = k * c + RotateHalf(k) * s;
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        Tensor attended;
        if (_kvHeads == _heads)
        {
            attended = functional.scaled_dot_product_attention(q, k, v, attn_mask: mask.Allowed, is_casual: mask.IsCausal);
        }
        else if (mask.IsCausal && seq > 1)
        {
            // A plain causal prompt: keys and values repeated per query head (as Hugging Face's repeat_kv), so the fused
            // causal kernel (flash / memory-efficient on CUDA) runs without a materialised [seq, seq] mask.
            var groups = _heads / _kvHeads;
            attended = functional.scaled_dot_product_attention(q, k.repeat_interleave(groups, dim: 1), v.repeat_interleave(groups, dim: 1), is_casual: true);
        }
        else
        {
            // Grouped-query attention without copying keys and values per query head: the g query heads that share a
            // key/value head are stacked along the query axis (head h = kv head · g + j), and the mask repeated to match.
            var groups = _heads / _kvHeads;
            var stacked = q.reshape(batch, _kvHeads, groups * seq, _headDim);
            var stackedMask = mask.Allowed?.repeat(1, 1, groups, 1);
            attended = functional.scaled_dot_product_attention(stacked, k, v, attn_mask: stackedMask).reshape(batch, _heads, seq, _headDim);
        }
        var output = o_proj.forward(attended.transpose(1, 2).reshape(batch, seq, _heads * _headDim));
        return output.MoveToOuterDisposeScope();
    }

    private static Tensor RotateHalf(Tensor x)
    {
        var half = (int)(x.shape[^1] / 2);
        return cat([-x[.., .., .., half..], x[.., .., .., ..half]], -1);
    }
}

public sealed class Qwen3DecoderLayer : Module<Qwen3LayerInput, Tensor>
{
    private readonly Qwen3Attention self_attn;
    private readonly Qwen3MLP mlp;
    private readonly Qwen3RMSNorm input_layernorm;
    private readonly Qwen3RMSNorm post_attention_layernorm;

    public Qwen3DecoderLayer(Qwen3Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Qwen3DecoderLayer))
    {
        self_attn = new Qwen3Attention(config, device, dtype);
        mlp = new Qwen3MLP(config, device, dtype);
        input_layernorm = new Qwen3RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new Qwen3RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    public IEnumerable<(string Name, ProjectionLinear Projection)> Projections =>
        self_attn.Projections.Select(p => ($"self_attn.{p.Name}", p.Projection))
            .Concat(mlp.Projections.Select(p => ($"mlp.{p.Name}", p.Projection)));

    public override Tensor forward(Qwen3LayerInput input) => Forward(input.Hidden, input.Cos, input.Sin, input.Mask, input.Cache, input.Layer);

    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, AttentionMask mask, IKVCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = hidden + self_attn.Forward(input_layernorm.forward(hidden), cos, sin, mask, cache, layer);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>The transformer body: <c>model.embed_tokens</c>, <c>model.layers.{i}</c>, <c>model.norm</c>.</summary>
public sealed class Qwen3Model : Module<Qwen3ModelInput, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<Qwen3DecoderLayer> layers;
    private readonly Qwen3RMSNorm norm;
    private Tensor _invFreq;

    public Qwen3Model(Qwen3Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Qwen3Model))
    {
        embed_tokens = Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<Qwen3DecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Qwen3DecoderLayer(config, device, dtype)).ToArray());
        norm = new Qwen3RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
        // Not a parameter or buffer: recomputed from the config, as Hugging Face does (it is not in checkpoints), and
        // kept in float32 whatever the weights' type, so bfloat16 weights do not coarsen the rotary phases.
        _invFreq = (1.0 / pow(config.RopeTheta, arange(0, config.HeadDim, 2, dtype: ScalarType.Float64) / config.HeadDim)).to(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>The rotary inverse frequencies on <paramref name="device"/>, moved there once (not copied every step).</summary>
    private Tensor InverseFrequencies(Device device)
    {
        if (_invFreq.device_type != device.type || _invFreq.device_index != device.index)
        {
            var moved = _invFreq.to(device).DetachFromDisposeScope();
            _invFreq.Dispose();
            _invFreq = moved;
        }
        return _invFreq;
    }

    public Embedding EmbedTokens => embed_tokens;

    /// <summary>Every projection that can carry a LoRA adapter, by its full name ("model.layers.0.self_attn.q_proj").</summary>
    public IEnumerable<(string Name, ProjectionLinear Projection)> Projections =>
        layers.SelectMany((layer, i) => layer.Projections.Select(p => ($"model.layers.{i}.{p.Name}", p.Projection)));

    public override Tensor forward(Qwen3ModelInput input) => Forward(input.InputIds, input.Positions, input.Mask, input.Cache);

    /// <param name="inputIds">[batch, seq]</param>
    /// <param name="positions">[batch, seq] position of each token (left padding shifts them)</param>
    public Tensor Forward(Tensor inputIds, Tensor positions, AttentionMask mask, IKVCache? cache)
    {
        using var scope = NewDisposeScope();
        var hidden = embed_tokens.forward(inputIds);
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * InverseFrequencies(positions.device);
        var emb = cat([freqs, freqs], -1);
        var cos = emb.cos().to(hidden.dtype);
        var sin = emb.sin().to(hidden.dtype);
        for (var i = 0; i < layers.Count; i++) hidden = layers[i].Forward(hidden, cos, sin, mask, cache, i);
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _invFreq.Dispose();
        base.Dispose(disposing);
    }
}
#pragma warning restore IDE1006
