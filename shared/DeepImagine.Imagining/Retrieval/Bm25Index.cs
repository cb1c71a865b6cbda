namespace DeepImagine.Imagining.Retrieval;

/// <summary>
/// Okapi BM25 over short documents (a trial's title, interventions and endpoint): the k nearest known items to a
/// question, for retrieval-augmented prompts and for choosing anchors. Built once from the knowledge a caller may use
/// (e.g. one fold's training items), so nothing outside it can be retrieved. Ties keep the documents' order.
/// </summary>
public sealed class Bm25Index<T>
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    private readonly List<(T Item, Dictionary<string, int> Terms, int Length)> _documents = [];
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    public Bm25Index(IEnumerable<T> items, Func<T, string> text)
    {
        foreach (var item in items)
        {
            var terms = TextTerms.Of(text(item)).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            _documents.Add((item, terms, terms.Values.Sum()));
            foreach (var term in terms.Keys) _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
        }
        _averageLength = _documents.Count == 0 ? 0 : Math.Max(1e-9, _documents.Average(d => (double)d.Length));
    }

    public int Count => _documents.Count;

    /// <summary>The <paramref name="k"/> best-scoring documents with a positive score, best first, skipping those <paramref name="exclude"/> rejects.</summary>
    public IReadOnlyList<(T Item, double Score)> Nearest(string query, int k, Func<T, bool>? exclude = null)
    {
        if (k <= 0 || _documents.Count == 0) return [];
        var queryTerms = TextTerms.Of(query).Distinct(StringComparer.Ordinal).Where(_documentFrequency.ContainsKey).ToList();
        if (queryTerms.Count == 0) return [];
        var n = _documents.Count;
        var idf = queryTerms.ToDictionary(t => t, t => Math.Log(1 + (n - _documentFrequency[t] + 0.5) / (_documentFrequency[t] + 0.5)), StringComparer.Ordinal);
        var scored = new List<(T Item, double Score, int Order)>();
        for (var i = 0; i < n; i++)
        {
            var (item, terms, length) = _documents[i];
            if (exclude is not null && exclude(item)) continue;
            var score = 0.0;
            foreach (var term in queryTerms)
            {
                if (!terms.TryGetValue(term, out var tf)) continue;
                score += idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / _averageLength));
            }
            if (score > 0) scored.Add((item, score, i));
        }
        return scored.OrderByDescending(s => s.Score).ThenBy(s => s.Order).Take(k).Select(s => (s.Item, s.Score)).ToList();
    }
}

/// <summary>Word terms of free text: lower case, runs of letters and digits of at least two characters, minus common stop words.</summary>
public static class TextTerms
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "of", "and", "in", "to", "a", "an", "or", "for", "with", "on", "at", "by", "from", "as", "is", "are", "be",
        "this", "that", "will", "was", "were", "who", "which", "each", "all", "per", "than", "vs", "versus", "after", "during",
    };

    public static IEnumerable<string> Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        var word = new System.Text.StringBuilder();
        foreach (var c in text.ToLowerInvariant().Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
                continue;
            }
            if (word.Length >= 2 && !StopWords.Contains(word.ToString())) yield return word.ToString();
            word.Clear();
        }
    }
}
