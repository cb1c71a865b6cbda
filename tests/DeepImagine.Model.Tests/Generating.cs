using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Generating
{
    private static readonly IReadOnlyList<string> Prompts = Training.Examples.Select(Training.Prompt).ToList();

    [Fact]
    public void Gives_the_same_greedy_output_with_and_without_the_cache()
    {
        var cached = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, Prompts, new GenerationOptions { MaxNewTokens = 12 });
        var recomputed = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, Prompts, new GenerationOptions { MaxNewTokens = 12, UseCache = false });

        Assert.Equal(cached.Select(r => r.Tokens), recomputed.Select(r => r.Tokens));
        for (var i = 0; i < cached.Count; i++)
            Assert.All(cached[i].LogProbs.Zip(recomputed[i].LogProbs), p => Assert.Equal(p.First, p.Second, 3));
    }

    [Fact]
    public void Samples_reproducibly_from_a_seed()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 41);
        var options = new GenerationOptions { MaxNewTokens = 20, Temperature = 1.0, TopK = 50, TopP = 0.9, Seed = 5, StopTokenIds = [] };

        var first = TextGenerator.Generate(model, Corpus.Tokenizer, Prompts, options);
        var again = TextGenerator.Generate(model, Corpus.Tokenizer, Prompts, options);
        var other = TextGenerator.Generate(model, Corpus.Tokenizer, Prompts, options with { Seed = 6 });

        Assert.Equal(first.Select(r => r.Tokens), again.Select(r => r.Tokens));
        Assert.NotEqual(first.SelectMany(r => r.Tokens), other.SelectMany(r => r.Tokens));
        Assert.All(first, r => Assert.Equal(20, r.Tokens.Count));
    }

    [Fact]
    public void Keeps_sampling_within_the_top_k()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: Corpus.Tokenizer.VocabSize), seed: 42);
        var prompt = Corpus.Tokenizer.Encode(Prompts[0]);
        // The most likely next token under the model: top-k 1 must always pick it.
        using var logits = model.Logits(tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0));
        var best = (int)logits[0, -1].argmax().item<long>();

        var sampled = TextGenerator.Generate(model, Corpus.Tokenizer, [prompt, prompt, prompt], new GenerationOptions { MaxNewTokens = 1, Temperature = 2.0, TopK = 1, Seed = 3, StopTokenIds = [] });

        Assert.All(sampled, r => Assert.Equal(best, r.Tokens[0]));
    }

    [Fact]
    public void Stops_at_a_stop_string_and_returns_log_probabilities_of_the_chosen_tokens()
    {
        var result = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, [Prompts[1]], new GenerationOptions { MaxNewTokens = 40, StopStrings = ["DECISION"] })[0];

        Assert.Equal("stop_string", result.FinishReason);
        Assert.Equal("Lower: -1.85 vs -1.45. ", result.Text);
        Assert.Equal(result.Tokens.Count, result.LogProbs.Count);
        Assert.All(result.LogProbs, lp => Assert.InRange(lp, -50f, 0f));
        // A memorised answer is near-certain.
        Assert.True(result.LogProbs.Average() > -0.5, $"mean log-prob {result.LogProbs.Average()}");
    }

    [Fact]
    public void Stops_a_row_once_its_text_matches_the_stop_pattern_while_the_others_run_on_unchanged()
    {
        var options = new GenerationOptions { MaxNewTokens = 40 };
        var runOn = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, Prompts, options);
        // Only the "Lower" answer (prompt 1) matches; the pattern needs the line so far, as a RESULT-line start does.
        var stopped = TextGenerator.Generate(Training.OverfittedModel, Corpus.Tokenizer, Prompts,
            options with { StopPattern = new System.Text.RegularExpressions.Regex(@"^Lower:.*DECISION:", System.Text.RegularExpressions.RegexOptions.Multiline) });

        Assert.Equal(StoppingCriteria.StopPattern, stopped[1].FinishReason);
        Assert.Equal("Lower: -1.85 vs -1.45. DECISION:", stopped[1].Text);
        Assert.True(stopped[1].Tokens.Count < runOn[1].Tokens.Count, $"{stopped[1].Tokens.Count} tokens stopped, {runOn[1].Tokens.Count} run on");
        Assert.Equal(runOn[1].Tokens.Take(stopped[1].Tokens.Count), stopped[1].Tokens);
        foreach (var i in new[] { 0, 2, 3 })
        {
            Assert.Equal(runOn[i].Tokens, stopped[i].Tokens);
            Assert.Equal(runOn[i].FinishReason, stopped[i].FinishReason);
        }
    }

    [Fact]
    public void Ranks_the_memorised_continuation_first_when_scoring_options()
    {
        var prompt = Corpus.Tokenizer.Encode(Prompts[0] + "Higher: 6.98 vs -0.19. DECISION: (");
        var options = new[] { "A", "B", "C" }.Select(o => (IReadOnlyList<int>)Corpus.Tokenizer.Encode(o + ")")).ToList();

        var (logLikelihoods, probabilities) = TextGenerator.ScoreOptions(Training.OverfittedModel, prompt, options, Corpus.Tokenizer.PadId);

        Assert.Equal(0, Array.IndexOf(logLikelihoods, logLikelihoods.Max()));
        Assert.True(probabilities[0] > 0.9, $"p(A) = {probabilities[0]}");
        Assert.Equal(1.0, probabilities.Sum(), 9);
    }

    [Fact]
    public void Scores_text_options_tokenized_whole_and_ranks_the_memorised_one_first()
    {
        var text = Prompts[0] + "Higher: 6.98 vs -0.19. DECISION: (";
        string[] options = ["A)", "B)", "C)"];

        var scores = TextGenerator.ScoreTextOptions(Training.OverfittedModel, Corpus.Tokenizer, text, options);

        Assert.Equal(0, Array.IndexOf(scores, scores.Max()));
        Assert.All(scores, s => Assert.True(s < 0 && double.IsFinite(s), $"log-likelihood {s}"));
    }

    [Fact]
    public void Scores_single_token_options_from_one_pass_as_the_full_scoring_does()
    {
        // Digits are pre-tokens of their own, so each option is one token after the same prompt tokens.
        var text = Prompts[1] + "Lower: ";
        string[] options = ["1", "2", "7"];
        var prompt = Corpus.Tokenizer.Encode(text);
        var pieces = options.Select(o => Corpus.Tokenizer.Encode(o)).ToList();
        Assert.All(pieces, p => Assert.Single(p));
        Assert.All(options, o => Assert.Equal(prompt.Concat(Corpus.Tokenizer.Encode(o)), Corpus.Tokenizer.Encode(text + o)));

        var fast = TextGenerator.ScoreTextOptions(Training.OverfittedModel, Corpus.Tokenizer, text, options);
        var (full, _) = TextGenerator.ScoreOptions(Training.OverfittedModel, prompt, pieces, Corpus.Tokenizer.PadId);

        Assert.All(fast.Zip(full), p => Assert.Equal(p.Second, p.First, 4));
    }

    [Fact]
    public void Refuses_options_that_are_empty_or_repeated()
    {
        Assert.Throws<ArgumentException>(() => TextGenerator.ScoreTextOptions(Training.OverfittedModel, Corpus.Tokenizer, "x", ["a", ""]));
        Assert.Throws<ArgumentException>(() => TextGenerator.ScoreTextOptions(Training.OverfittedModel, Corpus.Tokenizer, "x", ["a", "a"]));
    }
}
