using System.Text;

namespace DeepImagine.Model.Tests;

public class Tokenizing
{
    [Theory]
    [InlineData("Change in HbA1c from baseline: -1.45 (SE 0.09), p < 0.0001")]
    [InlineData("Ünïcödé ✓ 中文 日本語 😀 é (e + combining acute: e\u0301)")]
    [InlineData("tabs\tand\nnew lines\r\n  and   runs of    spaces  ")]
    [InlineData("1,234.5 mg/kg 0.25 BID ≤0.05 ≥ 10 ±2")]
    [InlineData("")]
    public void Round_trips_arbitrary_text_exactly(string text)
    {
        var tokenizer = Corpus.Tokenizer;

        var ids = tokenizer.Encode(text);

        Assert.Equal(text.Normalize(NormalizationForm.FormC), tokenizer.Decode(ids));
    }

    [Fact]
    public void Splits_digits_one_per_token()
    {
        var tokenizer = Corpus.Tokenizer;

        var ids = tokenizer.Encode("2024");

        Assert.Equal(4, ids.Count);
        Assert.Equal(["2", "0", "2", "4"], ids.Select(i => tokenizer.Decode([i])));
    }

    [Fact]
    public void Learns_merges_that_compress_domain_text()
    {
        var tokenizer = Corpus.Tokenizer;
        const string text = "Randomized, double-blind, placebo-controlled study of participants with erectile dysfunction";

        Assert.True(tokenizer.Encode(text).Count < Encoding.UTF8.GetByteCount(text) / 2);
        Assert.Equal(1000, tokenizer.VocabSize);
    }

    [Fact]
    public void Keeps_special_tokens_whole_and_marks_assistant_tokens()
    {
        var tokenizer = Corpus.Tokenizer;
        var (ids, assistant) = tokenizer.EncodeChat([new("user", "Dose?"), new("assistant", "100 mg")]);

        Assert.Equal(2, ids.Count(i => i == tokenizer.ImStartId));
        Assert.Equal(2, ids.Count(i => i == tokenizer.ImEndId));
        var learned = ids.Where((_, i) => assistant[i]).ToList();
        Assert.Equal("100 mg" + ChatTokenizer.ImEnd, tokenizer.Decode(learned));
        Assert.Equal(tokenizer.FormatChat([new("user", "Dose?"), new("assistant", "100 mg")], false), tokenizer.Decode(ids));
    }

    [Fact]
    public void Saves_and_loads_the_same_vocabulary()
    {
        var directory = Path.Combine(Path.GetTempPath(), "di-tok-" + Guid.NewGuid().ToString("N"));
        Corpus.Tokenizer.Save(directory);

        var loaded = ChatTokenizer.Load(directory);

        const string text = "Placebo vs udenafil 150 mg: 7.76 [6.54, 8.98]";
        Assert.Equal(Corpus.Tokenizer.Encode(text), loaded.Encode(text));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Reads_a_hugging_face_tokenizer_json()
    {
        var directory = Path.Combine(Path.GetTempPath(), "di-tok-" + Guid.NewGuid().ToString("N"));
        Corpus.Tokenizer.Save(directory);
        // tokenizer.json as Hugging Face writes it: the BPE model's vocab and merges (as pairs), and the added tokens.
        var vocab = File.ReadAllText(Path.Combine(directory, ChatTokenizer.VocabFile));
        var merges = File.ReadAllLines(Path.Combine(directory, ChatTokenizer.MergesFile)).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(' ')).Select(p => $"[{System.Text.Json.JsonSerializer.Serialize(p[0])},{System.Text.Json.JsonSerializer.Serialize(p[1])}]");
        var added = string.Join(',', Corpus.Tokenizer.SpecialTokens.Select(kv => $"{{\"id\":{kv.Value},\"content\":{System.Text.Json.JsonSerializer.Serialize(kv.Key)},\"special\":true}}"));
        var json = $"{{\"added_tokens\":[{added}],\"model\":{{\"type\":\"BPE\",\"vocab\":{vocab},\"merges\":[{string.Join(',', merges)}]}}}}";

        var fromJson = ChatTokenizer.FromTokenizerJson(json);

        const string text = "Change from baseline in IIEF-EF at week 12: 4.85";
        Assert.Equal(Corpus.Tokenizer.Encode(text), fromJson.Encode(text));
        Directory.Delete(directory, recursive: true);
    }
}
