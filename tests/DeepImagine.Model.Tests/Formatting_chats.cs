using System.Text.Json;

namespace DeepImagine.Model.Tests;

public class Formatting_chats
{
    // Text full of blank lines, so the vocabulary merges "\n\n" into one token.
    private static readonly Lazy<ChatTokenizer> Paragraphs = new(() =>
        BpeTrainer.Train(Enumerable.Range(0, 200).Select(i => $"Outcome {i}\n\nResult: higher\n\nNotes:\n\nnone"), vocabSize: 320));

    /// <summary>The corpus tokenizer with Qwen3's &lt;think&gt; markers added as special tokens.</summary>
    private static ChatTokenizer WithThinkingMarkers()
    {
        var directory = Path.Combine(Path.GetTempPath(), "di-tok-" + Guid.NewGuid().ToString("N"));
        Corpus.Tokenizer.Save(directory);
        var specials = Corpus.Tokenizer.SpecialTokens.ToDictionary(kv => kv.Key, kv => kv.Value);
        specials[ChatTokenizer.ThinkStart] = Corpus.Tokenizer.VocabSize;
        specials[ChatTokenizer.ThinkEnd] = Corpus.Tokenizer.VocabSize + 1;
        File.WriteAllText(Path.Combine(directory, ChatTokenizer.SpecialTokensFile), JsonSerializer.Serialize(specials));
        var tokenizer = ChatTokenizer.Load(directory);
        Directory.Delete(directory, recursive: true);
        return tokenizer;
    }

    [Theory]
    [InlineData("\nStarts with a blank line", "\n\nHigher: 6.98 vs -0.19.")]
    [InlineData("Plain question?", "Answer\n\nwith a paragraph break\n")]
    [InlineData("  leading spaces", " Lower.")]
    public void Encodes_a_chat_to_the_same_ids_as_its_whole_text(string question, string answer)
    {
        var tokenizer = Paragraphs.Value;
        ChatMessage[] chat = [new("system", "You predict trial results."), new("user", question), new("assistant", answer)];

        var (ids, assistant) = tokenizer.EncodeChat(chat);

        Assert.Equal(tokenizer.Encode(tokenizer.FormatChat(chat, addGenerationPrompt: false)), ids);
        Assert.Equal(answer.TrimStart('\n') + ChatTokenizer.ImEnd, tokenizer.Decode(ids.Where((_, i) => assistant[i])).TrimStart('\n'));
    }

    [Fact]
    public void Writes_qwen3s_empty_thinking_block_when_the_vocabulary_has_the_markers()
    {
        var tokenizer = WithThinkingMarkers();
        ChatMessage[] chat = [new("user", "Dose?"), new("assistant", "100 mg")];

        var prompt = tokenizer.FormatChat([chat[0]], addGenerationPrompt: true);
        var (ids, assistant) = tokenizer.EncodeChat(chat);

        Assert.True(tokenizer.HasThinkingMarkers);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt, StringComparison.Ordinal);
        Assert.Contains("<|im_start|>assistant\n<think>\n\n</think>\n\n100 mg<|im_end|>\n", tokenizer.FormatChat(chat, false), StringComparison.Ordinal);
        Assert.Contains(tokenizer.SpecialTokens[ChatTokenizer.ThinkStart], ids);
        Assert.Equal("100 mg<|im_end|>", tokenizer.Decode(ids.Where((_, i) => assistant[i])));
        // Without the markers the plain ChatML template stays.
        Assert.DoesNotContain("<think>", Corpus.Tokenizer.FormatChat(chat, true), StringComparison.Ordinal);
    }

    [Fact]
    public void Renders_a_policy_prompt_with_the_models_own_template_for_sampling_and_validation_alike()
    {
        // rollout-generator samples from these ids and gpu-learner's grpo validation generates from them: a Qwen3
        // vocabulary must get its empty thinking block on both sides, or the learner scores answers to another prompt.
        var tokenizer = WithThinkingMarkers();
        ChatMessage[] chat = [new("system", "You imagine one step."), new("user", "Dose 10 mg to 20 mg?")];

        var ids = DeepImagine.Model.Grpo.InProcessRollouts.PromptTokens(tokenizer, chat);

        Assert.Equal(tokenizer.Encode(tokenizer.FormatChat(chat, addGenerationPrompt: true)), ids);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", tokenizer.Decode(ids), StringComparison.Ordinal);
    }
}
