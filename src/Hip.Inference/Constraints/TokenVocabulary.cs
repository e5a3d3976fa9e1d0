using System.Runtime.CompilerServices;

namespace Hip.Inference;

/// <summary>
/// What each token id writes, as UTF-8 bytes, for constrained decoding, taken from the model's <see cref="Vocabulary"/>
/// (SentencePiece '▁' is a space, <c>&lt;0xNN&gt;</c> that byte, byte-level BPE pieces their bytes); special tokens
/// (BOS, EOS, end of generation, unknown, control tokens, chat-template markers) write nothing and are never allowed
/// inside grammar output. Built once per tokenizer (<see cref="For"/> caches it) with the tries a
/// <see cref="GrammarConstraint"/> walks.
/// </summary>
public sealed class TokenVocabulary
{
    private static readonly ConditionalWeakTable<HipTokenizer, TokenVocabulary> s_shared = new();
    private static readonly HashSet<string> s_markers = BuildMarkers();

    private readonly byte[][] _bytes;    // [vocab] the token's text; empty for a special token
    private readonly bool[] _special;    // [vocab]

    /// <summary>Builds the table for <paramref name="tokenizer"/>; <paramref name="specialTokenIds"/> adds ids known to be special (GGUF control tokens).</summary>
    public TokenVocabulary(HipTokenizer tokenizer, IEnumerable<int>? specialTokenIds = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int count = tokenizer.VocabSize;
        _bytes = new byte[count][];
        _special = new bool[count];
        var vocabulary = tokenizer.Vocabulary;
        for (int id = 0; id < count; id++)
        {
            if (vocabulary.IsSpecial(id) || vocabulary.IsEndOfGeneration(id) || s_markers.Contains(vocabulary.GetPiece(id)))
            {
                _special[id] = true;
                _bytes[id] = [];
            }
            else
            {
                _bytes[id] = vocabulary.GetBytes(id).ToArray();
            }
        }
        _special[tokenizer.BosId] = _special[tokenizer.EosId] = true;
        foreach (int id in specialTokenIds ?? [])
            if ((uint)id < (uint)count)
                _special[id] = true;
        for (int id = 0; id < count; id++)
        {
            if (_bytes[id].Length == 0)
                _special[id] = true;
            if (_special[id])
                _bytes[id] = [];
        }

        // the tries, and the tokens that are plain string content (no quote, backslash, control byte or partial UTF-8)
        var all = new List<(int, byte[])>();
        var nonPlain = new List<(int, byte[])>();
        var plain = new List<(int Id, int Chars)>();
        for (int id = 0; id < count; id++)
        {
            if (_special[id])
                continue;
            all.Add((id, _bytes[id]));
            int chars = PlainCharacters(_bytes[id]);
            if (chars > 0)
                plain.Add((id, chars));
            else
                nonPlain.Add((id, _bytes[id]));
        }
        All = TokenTrie.Build(all);
        NonPlain = TokenTrie.Build(nonPlain);
        plain.Sort((x, y) => x.Chars.CompareTo(y.Chars));
        PlainByLength = [.. plain.Select(p => p.Id)];
        int longest = plain.Count == 0 ? 0 : plain[^1].Chars;
        PlainCountUpTo = new int[longest + 1];
        foreach (var (_, chars) in plain)
            PlainCountUpTo[chars]++;
        for (int c = 1; c <= longest; c++)
            PlainCountUpTo[c] += PlainCountUpTo[c - 1];
        Count = count;
        EndOfSequenceId = tokenizer.EosId;
    }

    /// <summary>The shared table of <paramref name="tokenizer"/> (built on first use).</summary>
    public static TokenVocabulary For(HipTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return s_shared.GetValue(tokenizer, t => new TokenVocabulary(t));
    }

    /// <summary>Number of token ids.</summary>
    public int Count { get; }

    /// <summary>The tokenizer's end-of-sequence id, which always ends a constrained output.</summary>
    public int EndOfSequenceId { get; }

    /// <summary>True for tokens that never appear in grammar output.</summary>
    public bool IsSpecial(int id) => (uint)id >= (uint)Count || _special[id];

    /// <summary>The bytes token <paramref name="id"/> writes (empty for a special token).</summary>
    public ReadOnlySpan<byte> GetBytes(int id) => (uint)id < (uint)Count ? _bytes[id] : [];

    /// <summary>Every non-special token.</summary>
    internal TokenTrie All { get; }

    /// <summary>Non-special tokens that are not plain string content.</summary>
    internal TokenTrie NonPlain { get; }

    /// <summary>Plain string-content tokens, fewest characters first.</summary>
    internal int[] PlainByLength { get; }

    /// <summary>[c] = how many of <see cref="PlainByLength"/> have at most c characters.</summary>
    internal int[] PlainCountUpTo { get; }

    /// <summary>Characters of a token that may stand anywhere inside a JSON string, else 0.</summary>
    private static int PlainCharacters(byte[] bytes)
    {
        foreach (byte b in bytes)
            if (b < 0x20 || b == '"' || b == '\\')
                return 0;
        return Math.Max(0, Utf8.CountCodePoints(bytes));
    }

    /// <summary>Spellings that are control tokens wherever a vocabulary has them as one piece.</summary>
    private static HashSet<string> BuildMarkers()
    {
        var markers = new HashSet<string>(StringComparer.Ordinal)
        {
            "<s>", "</s>", "<unk>", "<pad>", "<|endoftext|>", "[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]",
            "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "<|python_tag|>",
        };
        foreach (var family in Enum.GetValues<ChatTemplateFamily>())
            if (family != ChatTemplateFamily.Custom)
                markers.UnionWith(ChatTemplate.ForFamily(family).SpecialMarkers);
        return markers;
    }
}
