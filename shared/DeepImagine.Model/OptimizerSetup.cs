using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>
/// AdamW over a model's trainable parameters with Hugging Face Trainer's grouping: weight decay on weight matrices and
/// embeddings, none on norm weights and biases (decaying a norm's gain towards 0 shrinks activations, not complexity).
/// </summary>
public static class OptimizerSetup
{
    /// <summary>Whether a parameter gets weight decay: not norm weights, not biases.</summary>
    public static bool IsDecayed(string name) =>
        !name.EndsWith("norm.weight", StringComparison.Ordinal) && !name.EndsWith(".bias", StringComparison.Ordinal);

    public static AdamW AdamW(Qwen3ForCausalLM model, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var groups = new List<AdamW.ParamGroup>();
        var decayed = trainable.Where(p => IsDecayed(p.name)).Select(p => p.parameter).ToList();
        var plain = trainable.Where(p => !IsDecayed(p.name)).Select(p => p.parameter).ToList();
        if (decayed.Count > 0) groups.Add(new AdamW.ParamGroup(decayed, new AdamW.Options { LearningRate = learningRate, weight_decay = weightDecay, beta1 = beta1, beta2 = beta2, eps = eps }));
        if (plain.Count > 0) groups.Add(new AdamW.ParamGroup(plain, new AdamW.Options { LearningRate = learningRate, weight_decay = 0, beta1 = beta1, beta2 = beta2, eps = eps }));
        if (groups.Count == 0) throw new ArgumentException("the model has no trainable parameters", nameof(model));
        return optim.AdamW(groups, learningRate, beta1, beta2, eps, weightDecay);
    }
}
