using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

/// <summary>
/// A forward call: token ids [batch, seq]; with padding, <see cref="AttentionMask"/> [batch, past + seq] is 1 for real
/// tokens. <see cref="HasPadding"/> false (known by the caller) skips reading the mask back from the device.
/// </summary>
public sealed record CausalLMInput(Tensor InputIds, Tensor? AttentionMask = null, IKVCache? Cache = null)
{
    public bool? HasPadding { get; init; }

    /// <summary>Logits of the last position only (decoding a prompt needs no others: batch × prompt × vocabulary would dominate prefill).</summary>
    public bool LastPositionOnly { get; init; }
}

/// <summary>The logits [batch, seq, vocab] of a forward call (owned by the caller).</summary>
public sealed record CausalLMOutput(Tensor Logits);

#pragma warning disable IDE1006 // Hugging Face parameter names

/// <summary>
/// Qwen3 causal language model with Hugging Face's architecture and parameter names (<c>model.*</c>, <c>lm_head.weight</c>).
/// With tied embeddings there is no separate <c>lm_head</c>: logits use <c>model.embed_tokens.weight</c>, as in Hugging Face.
/// </summary>
public sealed class Qwen3ForCausalLM : Module<Tensor, Tensor>
{
    private readonly Qwen3Model model;
    private readonly Linear? lm_head;

    public Qwen3Config Config { get; }

    public Qwen3ForCausalLM(Qwen3Config config) : this(config, null, null)
    {
    }

    /// <summary>A model whose parameters are created directly on <paramref name="device"/> in <paramref name="dtype"/>
    /// (float32 on the CPU by default), so loading a large checkpoint never holds a float32 copy first.</summary>
    public Qwen3ForCausalLM(Qwen3Config config, Device? device, ScalarType? dtype) : base(nameof(Qwen3ForCausalLM))
    {
        config.Validate();
        Config = config;
        model = new Qwen3Model(config, device, dtype);
        register_module(nameof(model), model);
        if (!config.TieWordEmbeddings)
        {
            lm_head = Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
            register_module(nameof(lm_head), lm_head);
        }
        // A model built while a dispose scope is open must outlive it: its parameters belong to the model alone.
        foreach (var parameter in parameters()) parameter.DetachFromDisposeScope();
    }

    /// <summary>
    /// A model with Hugging Face's initialisation (normal, std 0.02; norms at 1) from a seed, drawn from its own generator
    /// so that concurrent code using torch's global generator cannot change it.
    /// </summary>
    public static Qwen3ForCausalLM CreateRandom(Qwen3Config config, long seed, Device? device = null)
    {
        using var _ = no_grad();
        var created = new Qwen3ForCausalLM(config);
        using var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in created.named_parameters())
        {
            if (!name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                using var values = normal(0, 0.02, parameter.shape, generator: generator);
                parameter.copy_(values);
            }
        }
        return device is null ? created : created.MoveTo(device);
    }

    public Qwen3ForCausalLM MoveTo(Device device)
    {
        this.to(device);
        return this;
    }

    public Device Device => model.EmbedTokens.weight!.device;

    /// <summary>Logits for <paramref name="inputIds"/> [batch, seq] without padding or cache.</summary>
    public override Tensor forward(Tensor inputIds) => Logits(inputIds);

    /// <summary>The typed forward call (padding, cache), as Microsoft.ML.GenAI's causal LM models take it.</summary>
    public CausalLMOutput Forward(CausalLMInput input)
    {
        using var scope = NewDisposeScope();
        var hidden = Hidden(input.InputIds, input.AttentionMask, input.Cache, input.HasPadding);
        if (input.LastPositionOnly) hidden = hidden.narrow(1, hidden.shape[1] - 1, 1);
        return new CausalLMOutput(LmHead(hidden).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Logits [batch, seq, vocab] with every position and every query's visible keys given: <paramref name="positions"/>
    /// [batch, seq], <paramref name="allowed"/> [batch, 1, seq, past + seq] (true: may attend). For texts fed side by
    /// side in one pass, each seeing only its own part of the row.
    /// </summary>
    internal Tensor Logits(Tensor inputIds, Tensor positions, Tensor allowed, IKVCache cache)
    {
        using var scope = NewDisposeScope();
        return LmHead(model.Forward(inputIds, positions, new AttentionMask(allowed, false), cache)).MoveToOuterDisposeScope();
    }

    /// <summary>Logits for <paramref name="inputIds"/> [batch, seq]; with padding, <paramref name="attentionMask"/> [batch, past + seq] is 1 for real tokens.</summary>
    public Tensor Logits(Tensor inputIds, Tensor? attentionMask = null, IKVCache? cache = null) =>
        Forward(new CausalLMInput(inputIds, attentionMask, cache)).Logits;

    /// <summary>Final hidden states [batch, seq, hidden].</summary>
    public Tensor Hidden(Tensor inputIds, Tensor? attentionMask = null, IKVCache? cache = null) => Hidden(inputIds, attentionMask, cache, null);

    private Tensor Hidden(Tensor inputIds, Tensor? attentionMask, IKVCache? cache, bool? hasPadding)
    {
        using var scope = NewDisposeScope();
        var device = inputIds.device;
        var (batch, seq) = (inputIds.shape[0], inputIds.shape[1]);
        var past = cache?.Length ?? 0;
        var total = past + seq;
        var keep = attentionMask ?? ones(batch, total, dtype: ScalarType.Int64, device: device);
        if (keep.shape[1] != total)
            throw new ArgumentException($"attention mask covers {keep.shape[1]} positions; expected past {past} + new {seq}", nameof(attentionMask));

        // Positions count real tokens only, so left padding does not shift a sequence's rotary phases.
        var positions = (keep.cumsum(1, ScalarType.Int64) - 1).clamp_min(0)[.., (int)past..];
        AttentionMask mask;
        if (attentionMask is null || hasPadding == false || (hasPadding is null && keep.all().item<bool>()))
        {
            // Without padding no explicit mask is needed: one new token may see everything, a prompt is plainly causal.
            mask = seq == 1 ? AttentionMask.None : past == 0 ? AttentionMask.Causal : Explicit(keep, past, seq, total, device);
        }
        else
        {
            mask = Explicit(keep, past, seq, total, device);
        }
        return model.Forward(inputIds, positions, mask, cache).MoveToOuterDisposeScope();
    }

    private static AttentionMask Explicit(Tensor keep, long past, long seq, long total, Device device)
    {
        var queries = arange(past, total, dtype: ScalarType.Int64, device: device).view(seq, 1);
        var keys = arange(0, total, dtype: ScalarType.Int64, device: device).view(1, total);
        var allowed = (keys <= queries).view(1, 1, seq, total) & keep.to(ScalarType.Bool).view(keep.shape[0], 1, 1, total);
        // A padding query still attends to itself, so no row is fully masked (which would give NaN).
        return new AttentionMask(allowed | (keys == queries).view(1, 1, seq, total), false);
    }

    public Tensor LmHead(Tensor hidden) =>
        lm_head is null ? functional.linear(hidden, model.EmbedTokens.weight!) : lm_head.forward(hidden);

    /// <summary>A fresh cache for incremental decoding.</summary>
    public KvCache NewCache(long capacity = 256) => new(Config.NumHiddenLayers, capacity);

    /// <summary>The projections that can carry LoRA adapters, by full name.</summary>
    public IEnumerable<(string Name, ProjectionLinear Projection)> Projections => model.Projections;

    /// <summary>The settings of the adapters added, if any.</summary>
    public LoraSettings? Lora { get; private set; }
    public IReadOnlyList<string> LoraTargets { get; private set; } = [];

    /// <summary>
    /// Adds LoRA adapters to the named projections (default: all attention and MLP projections) and freezes everything
    /// else, so training updates the adapters alone.
    /// </summary>
    public void AddLora(LoraSettings settings, IReadOnlyList<string>? targets = null)
    {
        targets ??= LoraSettings.DefaultTargets;
        foreach (var (name, projection) in Projections)
        {
            if (targets.Any(t => name.EndsWith("." + t, StringComparison.Ordinal))) projection.AddAdapter(settings);
        }
        foreach (var (name, parameter) in named_parameters()) parameter.requires_grad = name.Contains(".lora_", StringComparison.Ordinal);
        Lora = settings;
        LoraTargets = targets;
    }

    /// <summary>The adapter parameters, by full name ("model.layers.0.self_attn.q_proj.lora_A.weight").</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> LoraParameters() =>
        named_parameters().Where(p => p.name.Contains(".lora_", StringComparison.Ordinal)).Select(p => (p.name, p.parameter)).ToList();

    /// <summary>Folds every adapter into its projection's weight.</summary>
    public void MergeLora()
    {
        foreach (var (_, projection) in Projections) projection.Merge();
    }

    /// <summary>
    /// Runs the base model alone until disposed (every adapter bypassed, none removed): the reference policy of RL
    /// training without a second copy of the weights.
    /// </summary>
    public IDisposable AdaptersDisabled()
    {
        if (Lora is null) throw new InvalidOperationException("the model has no LoRA adapters to disable");
        foreach (var (_, projection) in Projections) projection.AdapterEnabled = false;
        return new AdapterSwitch(this);
    }

    private sealed class AdapterSwitch(Qwen3ForCausalLM owner) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (_, projection) in owner.Projections) projection.AdapterEnabled = true;
        }
    }

    /// <summary>The trainable parameters (all, or the adapters alone once LoRA is added).</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => parameters().Where(p => p.requires_grad).ToList();
}
#pragma warning restore IDE1006
