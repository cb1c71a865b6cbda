using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

/// <summary>A small chat SFT set about real trial results, and a tiny model overfitted on it once per test run.</summary>
internal static class Training
{
    public static readonly SftExample[] Examples =
    [
        new([new("user", "Udenafil 100 mg vs placebo, IIEF-EF change at week 12?"), new("assistant", "Higher: 6.98 vs -0.19. DECISION: (A)")]),
        new([new("user", "Semaglutide 1.0 mg vs 0.5 mg, HbA1c change at week 30?"), new("assistant", "Lower: -1.85 vs -1.45. DECISION: (B)")]),
        new([new("user", "Avanafil 200 mg vs 100 mg, SEP3 change?"), new("assistant", "Same within the spread. DECISION: (C)")]),
        new([new("user", "Dofetilide 1 mg vs placebo, sinus rhythm at 12 months?"), new("assistant", "Higher: 0.465 vs 0.203. DECISION: (A)")]),
    ];

    public static SftOptions Options => new()
    {
        MaxSteps = 150,
        BatchSize = 4,
        LearningRate = 1e-2,
        WarmupSteps = 10,
        WeightDecay = 0.0,
        MaxGradNorm = 1.0,
        Seed = 1,
    };

    private static readonly Lazy<(Qwen3ForCausalLM Model, IReadOnlyList<TrainingProgress> History)> Overfitted = new(() =>
    {
        var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 11);
        using var trainer = new SftTrainer(model, Corpus.Tokenizer, Options);
        var history = trainer.Train(Examples);
        return (model, history);
    });

    public static Qwen3ForCausalLM OverfittedModel => Overfitted.Value.Model;
    public static IReadOnlyList<TrainingProgress> History => Overfitted.Value.History;

    public static string Prompt(SftExample example) => Corpus.Tokenizer.FormatChat([example.Messages[0]], addGenerationPrompt: true);
}
