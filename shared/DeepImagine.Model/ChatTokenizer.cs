using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace DeepImagine.Model;

/// <summary>One chat message.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A span of the last assistant answer (character offsets into its content) whose tokens weigh <see cref="Weight"/> in the loss.</summary>
public sealed record TokenEmphasis(int Start, int Length, double Weight);

/// <summary>
/// Byte-level BPE (Microsoft.ML.Tokenizers) with Qwen's pre-tokenizer (digits one per token) and NFC normalization,
/// loaded from <c>vocab.json</c> + <c>merges.txt</c> or from a Hugging Face <c>tokenizer.json</c>; special tokens and
/// the ChatML template (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>).
/// </summary>
public sealed class ChatTokenizer
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const string ThinkStart = "<think>";
    public const string ThinkEnd = "</think>";
    /// <summary>What Qwen3's template writes before an answer when thinking is off.</summary>
    public const string EmptyThinking = ThinkStart + "\n\n" + ThinkEnd + "\n\n";
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";
    public const string SpecialTokensFile = "special_tokens.json";
    public const string TokenizerJsonFile = "tokenizer.json";

    /// <summary>Qwen2/Qwen3's pre-tokenizer pattern.</summary>
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly string _vocabJson;
    private readonly string _mergesText;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }
    public int VocabSize { get; }
    public int EndOfTextId => SpecialTokens[EndOfText];
    public int ImEndId => SpecialTokens[ImEnd];
    public int ImStartId => SpecialTokens[ImStart];
    /// <summary>Whether the vocabulary has Qwen3's &lt;think&gt; markers; chats then follow Qwen3's template with thinking off.</summary>
    public bool HasThinkingMarkers => SpecialTokens.ContainsKey(ThinkStart) && SpecialTokens.ContainsKey(ThinkEnd);
    /// <summary>Padding uses end-of-text, as Qwen does.</summary>
    public int PadId => EndOfTextId;

    private ChatTokenizer(string vocabJson, string mergesText, IReadOnlyDictionary<string, int> specialTokens)
    {
        _vocabJson = vocabJson;
        _mergesText = mergesText;
        SpecialTokens = specialTokens;
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson)!;
        foreach (var name in new[] { EndOfText, ImStart, ImEnd })
        {
            if (!specialTokens.ContainsKey(name)) throw new InvalidDataException($"special token '{name}' is missing");
        }
        var specials = specialTokens.ToDictionary(kv => kv.Key, kv => kv.Value);
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = mergesText.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(QwenPattern, RegexOptions.Compiled), specials),
            Normalizer = new NfcNormalizer(),
            SpecialTokens = specials,
        });
        VocabSize = Math.Max(vocab.Values.DefaultIfEmpty(-1).Max(), specialTokens.Values.Max()) + 1;
    }

    public static ChatTokenizer FromFiles(string vocabJson, string mergesText, IReadOnlyDictionary<string, int> specialTokens) =>
        new(vocabJson, mergesText, specialTokens);

    /// <summary>Loads from a directory with vocab.json + merges.txt (+ special_tokens.json), or a tokenizer.json.</summary>
    public static ChatTokenizer Load(string directory)
    {
        var vocab = Path.Combine(directory, VocabFile);
        var merges = Path.Combine(directory, MergesFile);
        var specialsPath = Path.Combine(directory, SpecialTokensFile);
        var tokenizerJson = Path.Combine(directory, TokenizerJsonFile);
        if (File.Exists(vocab) && File.Exists(merges) && File.Exists(specialsPath))
        {
            var specials = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(specialsPath))!;
            return new ChatTokenizer(File.ReadAllText(vocab), File.ReadAllText(merges), specials);
        }
        if (File.Exists(tokenizerJson)) return FromTokenizerJson(File.ReadAllText(tokenizerJson));
        throw new FileNotFoundException($"'{directory}' has neither {VocabFile} + {MergesFile} + {SpecialTokensFile} nor {TokenizerJsonFile}");
    }

    /// <summary>Reads a Hugging Face tokenizer.json: its BPE vocabulary, merges (either layout) and added tokens.</summary>
    public static ChatTokenizer FromTokenizerJson(string json)
    {
        var root = JsonNode.Parse(json)!;
        var model = root["model"] ?? throw new InvalidDataException("tokenizer.json: field 'model' is missing");
        if (model["type"]?.GetValue<string>() is { } type && type != "BPE") throw new InvalidDataException($"tokenizer.json: model type '{type}' is not BPE");
        var vocab = model["vocab"]!.ToJsonString();
        var merges = new StringBuilder();
        foreach (var merge in model["merges"]!.AsArray())
        {
            merges.Append(merge is JsonArray pair ? $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}" : merge!.GetValue<string>()).Append('\n');
        }
        var specials = (root["added_tokens"]?.AsArray() ?? [])
            .ToDictionary(t => t!["content"]!.GetValue<string>(), t => t!["id"]!.GetValue<int>());
        return new ChatTokenizer(vocab, merges.ToString(), specials);
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, VocabFile), _vocabJson);
        File.WriteAllText(Path.Combine(directory, MergesFile), _mergesText);
        File.WriteAllText(Path.Combine(directory, SpecialTokensFile), JsonSerializer.Serialize(SpecialTokens));
    }

    public IReadOnlyList<int> Encode(string text) => _bpe.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _bpe.Decode(ids) ?? "";

    /// <summary>
    /// The chat as this tokenizer's model expects it (the one rendering of a chat: training, sampling, validation and
    /// prediction all use it): ChatML, each message as <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>, and with Qwen3's thinking markers (when the vocabulary has
    /// them) the empty thinking block Qwen3's template writes with thinking off, before the final answer and after the
    /// generation prompt.
    /// </summary>
    public string FormatChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        Format(messages, addGenerationPrompt, HasThinkingMarkers, learned: null);

    private static string Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, bool thinkingMarkers, List<Range>? learned)
    {
        var text = new StringBuilder();
        var lastUser = -1;
        for (var i = 0; i < messages.Count; i++) if (messages[i].Role == "user") lastUser = i;
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            text.Append(ImStart).Append(m.Role.Normalize(NormalizationForm.FormC)).Append('\n');
            // Qwen3's template gives the answers after the last question an (empty) thinking block.
            if (thinkingMarkers && m.Role == "assistant" && i > lastUser) text.Append(EmptyThinking);
            var start = text.Length;
            text.Append(m.Content.Normalize(NormalizationForm.FormC)).Append(ImEnd);
            if (m.Role == "assistant") learned?.Add(start..text.Length);
            text.Append('\n');
        }
        if (addGenerationPrompt)
        {
            text.Append(ImStart).Append("assistant\n");
            if (thinkingMarkers) text.Append(EmptyThinking);
        }
        return text.ToString();
    }

    /// <summary>
    /// Token ids of a conversation (the same ids as encoding <see cref="FormatChat"/>'s text whole) and, for each, whether
    /// it belongs to an assistant's answer (its content and closing <c>&lt;|im_end|&gt;</c>, by where the token starts):
    /// the tokens supervised fine-tuning learns.
    /// </summary>
    public (List<int> Ids, List<bool> IsAssistant) EncodeChat(IReadOnlyList<ChatMessage> messages)
    {
        var (ids, assistant, _) = EncodeChat(messages, []);
        return (ids, assistant);
    }

    /// <summary>
    /// <see cref="EncodeChat(IReadOnlyList{ChatMessage})"/> with a loss weight per token: 1, or the weight of an
    /// <paramref name="emphasis"/> span of the last assistant answer that the token overlaps (a token may start before the
    /// span: <c>=same</c> is one pre-token).
    /// </summary>
    public (List<int> Ids, List<bool> IsAssistant, List<double> Weights) EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<TokenEmphasis> emphasis)
    {
        var learned = new List<Range>();
        // Text already in NFC, so the normalizer changes nothing and token offsets index this very string.
        var text = Format(messages, addGenerationPrompt: false, HasThinkingMarkers, learned);
        var answerStart = learned.Count == 0 ? 0 : learned[^1].Start.Value;
        var answerLength = learned.Count == 0 ? 0 : learned[^1].End.Value - answerStart;
        foreach (var e in emphasis)
        {
            if (learned.Count == 0) throw new ArgumentException("emphasis needs an assistant answer to point into", nameof(emphasis));
            if (e.Start < 0 || e.Length <= 0 || e.Start + e.Length > answerLength)
                throw new ArgumentException($"emphasis span {e.Start}+{e.Length} lies outside the answer ({answerLength} characters)", nameof(emphasis));
        }
        var tokens = _bpe.EncodeToTokens(text, out _);
        var ids = new List<int>(tokens.Count);
        var assistant = new List<bool>(tokens.Count);
        var weights = new List<double>(tokens.Count);
        foreach (var token in tokens)
        {
            var (at, length) = token.Offset.GetOffsetAndLength(text.Length);
            ids.Add(token.Id);
            assistant.Add(learned.Any(r => at >= r.Start.Value && at < r.End.Value));
            var weight = 1.0;
            foreach (var e in emphasis)
            {
                var start = answerStart + e.Start;
                if (at < start + e.Length && at + length > start) weight = e.Weight;
            }
            weights.Add(weight);
        }
        return (ids, assistant, weights);
    }

    private sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);
        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
    }
}
