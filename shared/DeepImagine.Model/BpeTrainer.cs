using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeepImagine.Model;

/// <summary>
/// Trains a byte-level BPE vocabulary (GPT-2 byte alphabet, Qwen pre-tokenizer: digits stay one per token) from text
/// and writes Hugging Face's <c>vocab.json</c> and <c>merges.txt</c>. No .NET library trains BPE, so this is by hand.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Special tokens appended after the learned vocabulary.</summary>
    public static readonly IReadOnlyList<string> Specials = [ChatTokenizer.EndOfText, ChatTokenizer.ImStart, ChatTokenizer.ImEnd];

    /// <summary>GPT-2's reversible byte → printable character map.</summary>
    public static readonly char[] ByteToChar = BuildByteMap();

    public static ChatTokenizer Train(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        var target = vocabSize - Specials.Count;
        if (target < 256) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"vocabulary size must leave room for the 256 byte tokens and {Specials.Count} special tokens");

        // Word frequencies over pre-tokens, each word a sequence of byte-symbol ids.
        var pattern = new Regex(ChatTokenizer.QwenPattern, RegexOptions.Compiled);
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (Match m in pattern.Matches(text.Normalize(NormalizationForm.FormC)))
            {
                var mapped = new string(Encoding.UTF8.GetBytes(m.Value).Select(b => ByteToChar[b]).ToArray());
                wordCounts[mapped] = wordCounts.GetValueOrDefault(mapped) + 1;
            }
        }

        var symbols = new List<string>(target);
        var symbolId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in ByteToChar)
        {
            symbolId[c.ToString()] = symbols.Count;
            symbols.Add(c.ToString());
        }
        var words = wordCounts.Select(kv => (Symbols: kv.Key.Select(c => symbolId[c.ToString()]).ToList(), Count: kv.Value)).ToList();

        // Pair counts and the words each pair occurs in, updated incrementally as merges are applied.
        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        for (var w = 0; w < words.Count; w++) AddWordPairs(words[w].Symbols, words[w].Count, w, pairCounts, pairWords);

        var merges = new List<(int, int)>();
        var queue = new PriorityQueue<(int, int), (long, int, int)>(Comparer<(long Count, int A, int B)>.Create((x, y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.A != y.A ? x.A.CompareTo(y.A) : x.B.CompareTo(y.B)));
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (count, pair.Item1, pair.Item2));

        while (symbols.Count < target && queue.TryDequeue(out var best, out var priority))
        {
            // Entries go stale as counts change; only the current count counts.
            if (!pairCounts.TryGetValue(best, out var current) || current != priority.Item1) continue;
            if (current < minFrequency) break;
            var merged = symbols[best.Item1] + symbols[best.Item2];
            var newId = symbols.Count;
            symbols.Add(merged);
            symbolId[merged] = newId;
            merges.Add(best);

            var touched = new HashSet<(int, int)>();
            foreach (var w in pairWords[best].ToList())
            {
                var (seq, count) = words[w];
                RemoveWordPairs(seq, count, w, pairCounts, pairWords, touched);
                for (var i = 0; i < seq.Count - 1; i++)
                {
                    if (seq[i] == best.Item1 && seq[i + 1] == best.Item2)
                    {
                        seq[i] = newId;
                        seq.RemoveAt(i + 1);
                    }
                }
                AddWordPairs(seq, count, w, pairCounts, pairWords, touched);
            }
            foreach (var pair in touched)
            {
                if (pairCounts.TryGetValue(pair, out var c) && c > 0) queue.Enqueue(pair, (c, pair.Item1, pair.Item2));
            }
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < symbols.Count; i++) vocab[symbols[i]] = i;
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var special in Specials) specials[special] = symbols.Count + specials.Count;
        var mergesText = new StringBuilder("#version: 0.2\n");
        foreach (var (a, b) in merges) mergesText.Append(symbols[a]).Append(' ').Append(symbols[b]).Append('\n');
        return ChatTokenizer.FromFiles(JsonSerializer.Serialize(vocab), mergesText.ToString(), specials);
    }

    private static void AddWordPairs(List<int> seq, int count, int word, Dictionary<(int, int), long> counts,
        Dictionary<(int, int), HashSet<int>> where, HashSet<(int, int)>? touched = null)
    {
        for (var i = 0; i < seq.Count - 1; i++)
        {
            var pair = (seq[i], seq[i + 1]);
            counts[pair] = counts.GetValueOrDefault(pair) + count;
            if (!where.TryGetValue(pair, out var set)) where[pair] = set = [];
            set.Add(word);
            touched?.Add(pair);
        }
    }

    private static void RemoveWordPairs(List<int> seq, int count, int word, Dictionary<(int, int), long> counts,
        Dictionary<(int, int), HashSet<int>> where, HashSet<(int, int)> touched)
    {
        for (var i = 0; i < seq.Count - 1; i++)
        {
            var pair = (seq[i], seq[i + 1]);
            counts[pair] -= count;
            where[pair].Remove(word);
            touched.Add(pair);
        }
    }

    private static char[] BuildByteMap()
    {
        var bytes = new List<int>();
        for (var b = '!'; b <= '~'; b++) bytes.Add(b);
        for (var b = '¡'; b <= '¬'; b++) bytes.Add(b);
        for (var b = '®'; b <= 'ÿ'; b++) bytes.Add(b);
        var chars = bytes.ToList();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            if (bytes.Contains(b)) continue;
            bytes.Add(b);
            chars.Add(256 + extra++);
        }
        var map = new char[256];
        for (var i = 0; i < bytes.Count; i++) map[bytes[i]] = (char)chars[i];
        return map;
    }
}
