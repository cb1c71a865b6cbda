using DeepImagine.Imagining;
using DeepImagine.Model;
using DeepImagine.Predictor.Engine;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Tests;

public sealed class Scoring_on_the_generation_cache
{
    [Fact]
    public void Gives_the_log_likelihoods_of_encoding_each_text_afresh()
    {
        using var store = new TinyOperators(withBase: true);
        var tokenizer = store.Tokenizer!;
        using var model = Checkpoint.Load(store.BaseVersion!.Directory);
        var chats = Knowledge.Items().Take(3)
            .Select(i => tokenizer.FormatChat([new ChatMessage("system", StepFormat.SystemText), new ChatMessage("user", $"How does the result of {i.BriefTitle} change?")], addGenerationPrompt: true))
            .ToList();
        using var session = TextGenerator.Start(model, tokenizer, chats.Select(c => (IReadOnlyList<int>)tokenizer.Encode(c)).ToList(),
            new GenerationOptions { MaxNewTokens = 10, StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId] });
        var traces = session.Results.Select(r => ResultScoring.TraceOf(r.Text)).ToList();

        // The model's own trace (mostly on the cache), then a text that leaves the cache early (another trace), then the
        // first row again: cached columns of other texts must not leak into a row's reading.
        List<List<string>> rounds =
        [
            chats.Select((c, i) => c + (traces[i].Length == 0 ? "" : traces[i] + "\n") + "RESULT: direction=").ToList(),
            chats.Select(c => c + "Doses differ.\nRESULT: direction=lower log_ratio=unknown significant=").ToList(),
            chats.Select((c, i) => c + (traces[i].Length == 0 ? "" : traces[i] + "\n") + "RESULT: direction=same log_ratio=0.3 significant=").ToList(),
        ];
        string[][] optionSets = [["higher", "lower", "same"], ["yes", "no", "unknown"], ["yes", "no", "unknown"]];
        for (var r = 0; r < rounds.Count; r++)
        {
            var onCache = session.ScoreTextOptions(rounds[r], optionSets[r]);
            for (var b = 0; b < chats.Count; b++)
            {
                var afresh = TextGenerator.ScoreTextOptions(model, tokenizer, rounds[r][b], optionSets[r]);
                Assert.Equal(afresh, onCache[b], (x, y) => Math.Abs(x - y) < 1e-4);
            }
        }
        // The prompts were read once; scoring fed only what the cache lacked.
        Assert.True(session.FedTokens < rounds.Sum(round => round.Sum(t => tokenizer.Encode(t).Count)) / 2, $"fed {session.FedTokens} tokens");
    }

    [Fact]
    public void Scores_options_of_several_tokens_as_their_whole_continuations()
    {
        using var store = new TinyOperators(withBase: true);
        var tokenizer = store.Tokenizer!;
        using var model = Checkpoint.Load(store.BaseVersion!.Directory);
        var chat = tokenizer.FormatChat([new ChatMessage("user", "Budesonide in asthma?")], addGenerationPrompt: true);
        string[] options = ["no significant difference", "significantly better", "worse"];
        Assert.Contains(options, o => tokenizer.Encode(chat + o).Count - tokenizer.Encode(chat).Count > 1);
        using var session = TextGenerator.Start(model, tokenizer, [tokenizer.Encode(chat), tokenizer.Encode(chat + "Think")],
            new GenerationOptions { MaxNewTokens = 4 });

        var onCache = session.ScoreTextOptions([chat + "Answer: ", chat + "Think. Answer: "], options);

        Assert.Equal(TextGenerator.ScoreTextOptions(model, tokenizer, chat + "Answer: ", options), onCache[0], (x, y) => Math.Abs(x - y) < 1e-4);
        Assert.Equal(TextGenerator.ScoreTextOptions(model, tokenizer, chat + "Think. Answer: ", options), onCache[1], (x, y) => Math.Abs(x - y) < 1e-4);
    }
}
