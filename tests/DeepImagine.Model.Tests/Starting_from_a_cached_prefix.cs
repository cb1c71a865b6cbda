namespace DeepImagine.Model.Tests;

public class Starting_from_a_cached_prefix
{
    private const string System = "You compare two arms of a clinical trial and answer briefly with the higher one.";
    private static readonly string[] Questions =
    [
        "Udenafil 100 mg vs placebo, IIEF-EF change at week 12?",
        "Semaglutide 1.0 mg vs 0.5 mg?",
        "Dofetilide 1 mg vs placebo, sinus rhythm at 12 months, in patients with persistent atrial fibrillation?",
    ];

    private static List<IReadOnlyList<int>> Prompts(ChatTokenizer tokenizer) =>
        Questions.Select(q => (IReadOnlyList<int>)tokenizer.Encode(tokenizer.FormatChat([new ChatMessage("system", System), new ChatMessage("user", q)], addGenerationPrompt: true))).ToList();

    private static IReadOnlyList<int> SystemTurn(ChatTokenizer tokenizer) =>
        tokenizer.Encode(tokenizer.FormatChat([new ChatMessage("system", System)], addGenerationPrompt: false));

    [Fact]
    public void Gives_the_tokens_log_probabilities_and_scores_of_encoding_the_whole_prompts()
    {
        var tokenizer = Corpus.Tokenizer;
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: tokenizer.VocabSize), seed: 43);
        var prompts = Prompts(tokenizer);
        using var prefix = PromptPrefix.Compute(model, SystemTurn(tokenizer));
        Assert.True(TextGenerator.Extends(prefix.Tokens, prompts));
        var options = new GenerationOptions { MaxNewTokens = 8, StopTokenIds = [] };

        using var whole = TextGenerator.Start(model, tokenizer, prompts, options);
        using var fromPrefix = TextGenerator.Start(model, tokenizer, prompts, options, prefix);

        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(whole.Results[i].Tokens, fromPrefix.Results[i].Tokens);
            // Each chosen token's log-probability is read off the logits: the prefill's (first token) and every step's.
            Assert.Equal(whole.Results[i].LogProbs, fromPrefix.Results[i].LogProbs, (x, y) => Math.Abs(x - y) < 1e-4);
        }
        // Every vocabulary entry's score after each row's text, on each cache, against encoding the text afresh.
        var texts = Questions.Select((q, i) => tokenizer.FormatChat([new ChatMessage("system", System), new ChatMessage("user", q)], addGenerationPrompt: true) + whole.Results[i].Text).ToList();
        string[] words = ["higher", "lower", "same", "placebo"];
        var onWhole = whole.ScoreTextOptions(texts, words);
        var onPrefix = fromPrefix.ScoreTextOptions(texts, words);
        for (var i = 0; i < texts.Count; i++)
        {
            var afresh = TextGenerator.ScoreTextOptions(model, tokenizer, texts[i], words);
            Assert.Equal(afresh, onPrefix[i], (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(onWhole[i], onPrefix[i], (x, y) => Math.Abs(x - y) < 1e-4);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encodes_rows_of_very_different_lengths_in_groups_with_the_results_of_each_row_alone(bool withPrefix)
    {
        var tokenizer = Corpus.Tokenizer;
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: tokenizer.VocabSize), seed: 46);
        // Two short questions and two long ones: one left-padded pass would pad the short rows by hundreds of tokens.
        var longQuestion = string.Join(" ", Enumerable.Repeat(Questions[2], 12));
        string[] questions = [Questions[1], Questions[0], longQuestion, longQuestion + " Answer briefly."];
        var prompts = questions.Select(q => (IReadOnlyList<int>)tokenizer.Encode(tokenizer.FormatChat([new ChatMessage("system", System), new ChatMessage("user", q)], addGenerationPrompt: true))).ToList();
        using var prefix = withPrefix ? PromptPrefix.Compute(model, SystemTurn(tokenizer)) : null;
        var shared = prefix?.Tokens.Count ?? 0;
        var groups = TextGenerator.PrefillGroups(prompts.Select(p => p.Count - shared).ToList(), TextGenerator.PrefillGroupCost);
        Assert.Equal([[0, 1], [2, 3]], groups.Select(g => g.Order().ToArray()).ToList());
        var options = new GenerationOptions { MaxNewTokens = 6, StopTokenIds = [] };

        using var together = TextGenerator.Start(model, tokenizer, prompts, options, prefix);
        string[] words = ["higher", "lower", "same", "placebo"];
        var texts = questions.Select((q, i) => tokenizer.FormatChat([new ChatMessage("system", System), new ChatMessage("user", q)], addGenerationPrompt: true) + together.Results[i].Text).ToList();
        // Options of several tokens are read side by side in one pass; a second field is read after the first on the same cache.
        Assert.Contains(TextGenerator.SplitTextOptions(tokenizer, texts[0], words).Continuations, c => c.Count > 1);
        var scores = together.ScoreTextOptions(texts, words);
        string[] second = ["yes", "no", "unknown"];
        var thenTexts = texts.Select(t => t + "higher significant=").ToList();
        var thenScores = together.ScoreTextOptions(thenTexts, second);
        for (var i = 0; i < prompts.Count; i++)
        {
            using var alone = TextGenerator.Start(model, tokenizer, [prompts[i]], options);
            Assert.Equal(alone.Results[0].Tokens, together.Results[i].Tokens);
            Assert.Equal(alone.Results[0].LogProbs, together.Results[i].LogProbs, (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(TextGenerator.ScoreTextOptions(model, tokenizer, texts[i], words), scores[i], (x, y) => Math.Abs(x - y) < 1e-4);
            Assert.Equal(TextGenerator.ScoreTextOptions(model, tokenizer, thenTexts[i], second), thenScores[i], (x, y) => Math.Abs(x - y) < 1e-4);
        }
    }

    [Fact]
    public void Groups_rows_only_where_the_padding_saved_outweighs_another_pass()
    {
        Assert.Single(TextGenerator.PrefillGroups([300, 310, 290, 305], costPerPass: 256));
        Assert.Equal([[1, 0], [2, 3]], TextGenerator.PrefillGroups([20, 10, 400, 410], costPerPass: 256));
        // With a pass as dear as the padding, one pass stays cheaper.
        Assert.Single(TextGenerator.PrefillGroups([20, 10, 400, 410], costPerPass: 2000));
    }

    [Fact]
    public void Refuses_prompts_that_do_not_go_on_after_the_prefix_and_a_prefix_of_another_model()
    {
        var tokenizer = Corpus.Tokenizer;
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: tokenizer.VocabSize), seed: 44);
        using var prefix = PromptPrefix.Compute(model, SystemTurn(tokenizer));
        IReadOnlyList<int> other = tokenizer.Encode(tokenizer.FormatChat([new ChatMessage("user", Questions[0])], addGenerationPrompt: true));

        var error = Assert.Throws<ArgumentException>(() => TextGenerator.Start(model, tokenizer, [.. Prompts(tokenizer), other], new GenerationOptions { MaxNewTokens = 2 }, prefix));
        Assert.Contains("prefix", error.Message);
        Assert.Throws<ArgumentException>(() => TextGenerator.Start(model, tokenizer, [prefix.Tokens], new GenerationOptions { MaxNewTokens = 2 }, prefix));
        using var another = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(vocab: tokenizer.VocabSize), seed: 45);
        var misfit = Assert.Throws<ArgumentException>(() => TextGenerator.Start(another, tokenizer, Prompts(tokenizer), new GenerationOptions { MaxNewTokens = 2 }, prefix));
        Assert.Contains("another model", misfit.Message);
    }
}
