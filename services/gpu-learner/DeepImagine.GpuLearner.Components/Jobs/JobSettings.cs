using System.Globalization;
using DeepImagine.Model.Grpo;

namespace DeepImagine.GpuLearner.Jobs;

public static class JobKinds
{
    public const string Pretrain = "pretrain";
    public const string Sft = "sft";
    public const string Grpo = "grpo";
    public static readonly IReadOnlyList<string> Supported = [Pretrain, Sft, Grpo];
}

/// <summary>
/// A job's hyper-parameters, parsed from the named values of <c>SubmitTrainingJob</c>: every name is known for the
/// job's kind and every value is in range, or submission fails naming the parameter. Defaults are small enough for a
/// CPU; <see cref="Normalized"/> lists every value (defaults included), which is what the job's identity hashes.
/// <c>eval_max_new_tokens</c> 0 (the default) gives the evaluation room for the longest target answer it scores.
/// The sft defaults are the configuration measured in docs/training.md (run 8: RESULT line only, direction weighted 5,
/// 600 steps but at most one pass over the factor's train split, 400 examples scored, 50 of them also answered freely).
/// </summary>
public sealed record JobSettings
{
    public int Steps { get; init; }
    public int BatchSize { get; init; }
    public int GradientAccumulation { get; init; }
    public double LearningRate { get; init; }
    public int WarmupSteps { get; init; }
    public int MaxSequenceLength { get; init; }
    public int CheckpointEvery { get; init; }
    public int EvalEvery { get; init; }
    public long Seed { get; init; }
    public string? ModelName { get; init; }
    // pretrain
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int Layers { get; init; }
    public int Heads { get; init; }
    public int KvHeads { get; init; }
    public int HeadDim { get; init; }
    // sft
    public int LoraRank { get; init; }
    public double LoraAlpha { get; init; }
    public int EvalExamples { get; init; }
    public int EvalMaxNewTokens { get; init; }
    // grpo
    public int GroupSize { get; init; }
    public int PromptsPerStep { get; init; }
    public double EpsilonLow { get; init; }
    public double EpsilonHigh { get; init; }
    public double Beta { get; init; }
    public string LossType { get; init; } = "dapo";
    public string ScaleRewards { get; init; } = "group";
    public int MaxNewTokens { get; init; }
    public double Temperature { get; init; }
    public int PublishEvery { get; init; }
    public int MaxOffPolicySteps { get; init; }
    public double RatioMaskBound { get; init; }
    /// <summary>Learn the teacher's trace before the RESULT line (true) or the RESULT line alone (an empty trace).</summary>
    public bool WithTrace { get; init; }
    /// <summary>Loss weight of the direction word of the RESULT line (1: as every other answer token).</summary>
    public double DirectionLossWeight { get; init; }
    /// <summary>
    /// Of the scored examples, how many are also answered freely (greedy generation, for <c>val_direction_acc_free</c>);
    /// the rest are read constrained after an empty trace. Ignored with <see cref="WithTrace"/>: reading its answers needs the trace.
    /// </summary>
    public int EvalFreeExamples { get; init; }
    /// <summary>
    /// sft: the most passes over the train split; a factor with few examples stops earlier than <see cref="Steps"/>
    /// (outcome's 1,464 rows seen 3.3 times by 600 steps fell below the majority on validation, docs/training.md run 8).
    /// </summary>
    public double MaxEpochs { get; init; }

    public required IReadOnlyDictionary<string, string> Normalized { get; init; }

    private sealed record Spec(string Name, string[] Kinds, string Default, double Min, double Max, bool Integer = true, bool Text = false, IReadOnlyList<string>? Choices = null);

    private static readonly string[] All = [JobKinds.Pretrain, JobKinds.Sft, JobKinds.Grpo];
    private static readonly string[] Both = [JobKinds.Pretrain, JobKinds.Sft];
    private static readonly string[] PretrainOnly = [JobKinds.Pretrain];
    private static readonly string[] SftOnly = [JobKinds.Sft];
    private static readonly string[] Adapters = [JobKinds.Sft, JobKinds.Grpo];
    private static readonly string[] GrpoOnly = [JobKinds.Grpo];

    private static readonly Spec[] Specs =
    [
        new("steps", All, "", 1, 1_000_000),
        new("batch_size", Both, "8", 1, 4096),
        new("grad_accum", Both, "1", 1, 1024),
        new("learning_rate", All, "", 1e-7, 1, Integer: false),
        new("warmup_steps", All, "", 0, 1_000_000),
        new("max_seq_len", Both, "", 16, 32768),
        new("checkpoint_every", All, "", 1, 1_000_000),
        new("eval_every", Both, "", 1, 1_000_000),
        new("seed", All, "1", 0, int.MaxValue),
        new("model_name", All, "", 0, 0, Text: true),
        new("vocab_size", PretrainOnly, "4096", 512, 262_144),
        new("hidden_size", PretrainOnly, "128", 16, 16384),
        new("intermediate_size", PretrainOnly, "384", 16, 65536),
        new("layers", PretrainOnly, "2", 1, 128),
        new("heads", PretrainOnly, "4", 1, 128),
        new("kv_heads", PretrainOnly, "2", 1, 128),
        new("head_dim", PretrainOnly, "32", 8, 512),
        new("lora_rank", Adapters, "16", 1, 512),
        new("lora_alpha", Adapters, "32", 0.01, 10_000, Integer: false),
        new("eval_examples", Adapters, "100", 1, 100_000),
        new("eval_max_new_tokens", SftOnly, "0", 0, 4096),
        new("with_trace", SftOnly, "0", 0, 1),
        new("direction_loss_weight", SftOnly, "5", 0.01, 1000, Integer: false),
        new("eval_free_examples", SftOnly, "50", 1, 100_000),
        new("max_epochs", SftOnly, "1", 0.01, 1000, Integer: false),
        new("group_size", GrpoOnly, "8", 2, 1024),
        new("prompts_per_step", GrpoOnly, "4", 1, 65_536),
        new("epsilon_low", GrpoOnly, "0.2", 1e-4, 0.9999, Integer: false),
        new("epsilon_high", GrpoOnly, "0.28", 1e-4, 100, Integer: false),
        new("beta", GrpoOnly, "0", 0, 100, Integer: false),
        new("loss_type", GrpoOnly, "dapo", 0, 0, Text: true, Choices: GrpoNames.LossTypes),
        new("scale_rewards", GrpoOnly, "group", 0, 0, Text: true, Choices: GrpoNames.RewardScalings),
        new("max_new_tokens", GrpoOnly, "128", 1, 32_768),
        new("temperature", GrpoOnly, "1", 0.01, 100, Integer: false),
        new("publish_every", GrpoOnly, "1", 1, 1_000_000),
        new("max_off_policy_steps", GrpoOnly, "1", 0, 1_000_000),
        new("ratio_mask_bound", GrpoOnly, "1", 1e-4, 1000, Integer: false),
    ];

    /// <summary>Kind-dependent defaults of the schedule (pretraining runs longer on shorter rows than SFT).</summary>
    private static string KindDefault(string kind, string name) => (kind, name) switch
    {
        // An operator (LoRA: embeddings and norms frozen) can be no more confident than the base's output scale allows.
        // After 300 steps the tied embedding rows had norm ~0.5 and no adapter learned even the answer's fixed words
        // (3.2 nats a token after 400 steps); after 2,000 (norm ~1.5) an adapter learns them in 20 (docs/training.md, run 8).
        (JobKinds.Pretrain, "steps") => "2000",
        (JobKinds.Pretrain, "learning_rate") => "0.005",
        (JobKinds.Pretrain, "warmup_steps") => "20",
        (JobKinds.Pretrain, "max_seq_len") => "128",
        (JobKinds.Pretrain, "checkpoint_every") => "200",
        (JobKinds.Pretrain, "eval_every") => "500",
        (JobKinds.Pretrain, "model_name") => "deepimagine-base",
        // One pass over dose's train split (4,906 rows); the one evaluation at the end (docs/training.md, run 8).
        (JobKinds.Sft, "steps") => "600",
        (JobKinds.Sft, "learning_rate") => "0.01",
        (JobKinds.Sft, "warmup_steps") => "10",
        (JobKinds.Sft, "max_seq_len") => "1024",
        (JobKinds.Sft, "checkpoint_every") => "100",
        (JobKinds.Sft, "eval_every") => "600",
        (JobKinds.Sft, "model_name") => "",
        // Read without generation (eval_free_examples), so scoring 400 costs little and a subset this size is not noise.
        (JobKinds.Sft, "eval_examples") => "400",
        (JobKinds.Grpo, "steps") => "50",
        (JobKinds.Grpo, "learning_rate") => "0.0005",
        (JobKinds.Grpo, "warmup_steps") => "0",
        (JobKinds.Grpo, "checkpoint_every") => "5",
        (JobKinds.Grpo, "model_name") => "",
        _ => Specs.First(s => s.Name == name).Default,
    };

    public static JobSettings Parse(string kind, IReadOnlyDictionary<string, string>? given)
    {
        if (!JobKinds.Supported.Contains(kind)) throw new JobValidationException("kind", $"'{kind}' is not a job kind here; use {string.Join(" or ", JobKinds.Supported)}");
        given ??= new Dictionary<string, string>();
        foreach (var givenName in given.Keys)
        {
            var spec = Specs.FirstOrDefault(s => s.Name == givenName)
                ?? throw new JobValidationException($"hyperParameters.{givenName}", $"unknown hyper-parameter; known: {string.Join(", ", Specs.Where(s => s.Kinds.Contains(kind)).Select(s => s.Name))}");
            if (!spec.Kinds.Contains(kind)) throw new JobValidationException($"hyperParameters.{givenName}", $"does not apply to {kind} jobs");
        }
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in Specs.Where(s => s.Kinds.Contains(kind)))
        {
            var text = given.TryGetValue(spec.Name, out var v) ? v.Trim() : KindDefault(kind, spec.Name);
            if (spec.Choices is not null)
            {
                if (!spec.Choices.Contains(text))
                    throw new JobValidationException($"hyperParameters.{spec.Name}", $"'{text}' is not one of {string.Join(", ", spec.Choices)}");
                values[spec.Name] = text;
                continue;
            }
            if (spec.Text)
            {
                if (text.Length > 0 && !DeepImagine.Model.Store.ModelStore.IsValidName(text))
                    throw new JobValidationException($"hyperParameters.{spec.Name}", $"'{text}' must be lower-case letters, digits, '.', '-' or '_'");
                values[spec.Name] = text;
                continue;
            }
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                throw new JobValidationException($"hyperParameters.{spec.Name}", $"'{text}' is not a number");
            if (spec.Integer && number != Math.Floor(number))
                throw new JobValidationException($"hyperParameters.{spec.Name}", $"'{text}' must be a whole number");
            if (number < spec.Min || number > spec.Max)
                throw new JobValidationException($"hyperParameters.{spec.Name}", $"{text} is outside {spec.Min.ToString(CultureInfo.InvariantCulture)}..{spec.Max.ToString(CultureInfo.InvariantCulture)}");
            values[spec.Name] = number.ToString("R", CultureInfo.InvariantCulture);
        }
        // A warm-up the caller did not choose never outlasts a short run: at most a tenth of it.
        if (!given.ContainsKey("warmup_steps"))
        {
            var steps = int.Parse(values["steps"], CultureInfo.InvariantCulture);
            values["warmup_steps"] = Math.Min(int.Parse(values["warmup_steps"], CultureInfo.InvariantCulture), steps / 10).ToString(CultureInfo.InvariantCulture);
        }
        int I(string name) => values.TryGetValue(name, out var t) ? int.Parse(t, CultureInfo.InvariantCulture) : 0;
        double D(string name) => values.TryGetValue(name, out var t) ? double.Parse(t, CultureInfo.InvariantCulture) : 0;
        var settings = new JobSettings
        {
            Steps = I("steps"),
            BatchSize = I("batch_size"),
            GradientAccumulation = I("grad_accum"),
            LearningRate = D("learning_rate"),
            WarmupSteps = I("warmup_steps"),
            MaxSequenceLength = I("max_seq_len"),
            CheckpointEvery = I("checkpoint_every"),
            EvalEvery = I("eval_every"),
            Seed = I("seed"),
            ModelName = values["model_name"] is { Length: > 0 } name ? name : null,
            VocabSize = I("vocab_size"),
            HiddenSize = I("hidden_size"),
            IntermediateSize = I("intermediate_size"),
            Layers = I("layers"),
            Heads = I("heads"),
            KvHeads = I("kv_heads"),
            HeadDim = I("head_dim"),
            LoraRank = I("lora_rank"),
            LoraAlpha = D("lora_alpha"),
            EvalExamples = I("eval_examples"),
            EvalMaxNewTokens = I("eval_max_new_tokens"),
            GroupSize = I("group_size"),
            PromptsPerStep = I("prompts_per_step"),
            EpsilonLow = D("epsilon_low"),
            EpsilonHigh = D("epsilon_high"),
            Beta = D("beta"),
            LossType = values.GetValueOrDefault("loss_type", "dapo"),
            ScaleRewards = values.GetValueOrDefault("scale_rewards", "group"),
            MaxNewTokens = I("max_new_tokens"),
            Temperature = D("temperature"),
            PublishEvery = I("publish_every"),
            MaxOffPolicySteps = I("max_off_policy_steps"),
            RatioMaskBound = D("ratio_mask_bound"),
            WithTrace = I("with_trace") == 1,
            DirectionLossWeight = D("direction_loss_weight"),
            EvalFreeExamples = I("eval_free_examples"),
            MaxEpochs = D("max_epochs"),
            Normalized = values,
        };
        if (kind == JobKinds.Pretrain && settings.Heads % settings.KvHeads != 0)
            throw new JobValidationException("hyperParameters.kv_heads", $"heads ({settings.Heads}) must be a multiple of kv_heads ({settings.KvHeads})");
        if (settings.WarmupSteps >= settings.Steps)
            throw new JobValidationException("hyperParameters.warmup_steps", $"{settings.WarmupSteps} must be below steps ({settings.Steps})");
        return settings;
    }
}
