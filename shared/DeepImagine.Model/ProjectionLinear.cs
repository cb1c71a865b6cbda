using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepImagine.Model;

#pragma warning disable IDE1006 // Hugging Face / PEFT parameter names

/// <summary>LoRA settings: rank, alpha (scaling = alpha / rank), dropout on the adapter's input.</summary>
public sealed record LoraSettings(int Rank = 8, double Alpha = 16, double Dropout = 0.0)
{
    public static readonly IReadOnlyList<string> DefaultTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    public double Scaling => Alpha / Rank;
}

/// <summary>
/// A bias-free linear projection (parameter <c>weight</c>, as <c>nn.Linear</c> names it) that can carry a LoRA adapter:
/// <c>lora_A.weight</c> [rank, in] and <c>lora_B.weight</c> [out, rank], PEFT's names. B starts at zero, so a new adapter
/// changes nothing until trained; merging folds scaling · B·A into <c>weight</c>.
/// </summary>
public sealed class ProjectionLinear : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Linear? lora_A;
    private Linear? lora_B;
    private Dropout? _loraDropout;
    private double _scaling;

    public ProjectionLinear(long inFeatures, long outFeatures, bool hasBias = false, Device? device = null, ScalarType? dtype = null) : base(nameof(ProjectionLinear))
    {
        weight = new Parameter(empty([outFeatures, inFeatures], dtype: dtype, device: device));
        using (no_grad()) init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias) bias = new Parameter(zeros([outFeatures], dtype: dtype, device: device));
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public bool HasAdapter => lora_A is not null;
    public bool IsMerged { get; private set; }
    /// <summary>false computes the base projection alone (the reference policy of RL training), the adapter kept as it is.</summary>
    public bool AdapterEnabled { get; set; } = true;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = functional.linear(input, weight, bias);
        if (lora_A is not null && lora_B is not null && !IsMerged && AdapterEnabled)
        {
            var x = _loraDropout is null ? input : _loraDropout.forward(input);
            output = output + lora_B.forward(lora_A.forward(x)) * _scaling;
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Adds a LoRA adapter (A: Kaiming-uniform, B: zeros), on the projection's device.</summary>
    public void AddAdapter(LoraSettings settings)
    {
        if (lora_A is not null) throw new InvalidOperationException("this projection already has an adapter");
        using var _ = no_grad();
        var (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1]);
        lora_A = Linear(inFeatures, settings.Rank, hasBias: false, device: weight.device, dtype: weight.dtype);
        lora_B = Linear(settings.Rank, outFeatures, hasBias: false, device: weight.device, dtype: weight.dtype);
        init.kaiming_uniform_(lora_A.weight!, Math.Sqrt(5));
        init.zeros_(lora_B.weight!);
        _loraDropout = settings.Dropout > 0 ? Dropout(settings.Dropout) : null;
        _scaling = settings.Scaling;
        lora_A.weight!.DetachFromDisposeScope();
        lora_B.weight!.DetachFromDisposeScope();
        register_module(nameof(lora_A), lora_A);
        register_module(nameof(lora_B), lora_B);
        if (_loraDropout is not null) register_module("lora_dropout", _loraDropout);
    }

    /// <summary>Folds the adapter into <c>weight</c>; the output stays the same, the adapter is no longer applied separately.</summary>
    public void Merge()
    {
        if (lora_A is null || lora_B is null || IsMerged) return;
        using var _ = no_grad();
        weight.add_(matmul(lora_B.weight!, lora_A.weight!) * _scaling);
        IsMerged = true;
    }
}
#pragma warning restore IDE1006
