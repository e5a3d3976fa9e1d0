using System.Text;
using Microsoft.ML.Tokenizers;

namespace Hip.Inference;

/// <summary>
/// The engine's tokenizer, exact to llama.cpp: SentencePiece with leftmost ties, or byte-level BPE with the file's
/// pre-tokenizer, over one <see cref="Vocabulary"/>. Text from users never becomes a control token: only callers that
/// write their own markers (chat templates) pass <c>allowSpecial</c>. Encoding never adds BOS by itself.
/// </summary>
public sealed class HipTokenizer
{
    private readonly SentencePieceEncoder? _sentencePiece;
    private readonly ByteLevelBpeEncoder? _byteLevel;
    private Tokenizer? _inner;

    /// <summary>A tokenizer over <paramref name="vocabulary"/>.</summary>
    public HipTokenizer(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        if (vocabulary.Kind == VocabularyKind.SentencePiece)
            _sentencePiece = new SentencePieceEncoder(vocabulary);
        else
            _byteLevel = new ByteLevelBpeEncoder(vocabulary);
    }

    /// <summary>The model's vocabulary: piece bytes, token types, special and end-of-generation ids.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>This tokenizer as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (no special tokens, no BOS).</summary>
    public Tokenizer Inner => _inner ??= new HipTokenizerAdapter(this);

    /// <summary>Begin-of-sequence id.</summary>
    public int BosId => Vocabulary.BosId;

    /// <summary>End-of-sequence id.</summary>
    public int EosId => Vocabulary.EosId;

    /// <summary>Number of token ids.</summary>
    public int VocabSize => Vocabulary.Count;

    /// <summary>Ids that end generation: EOS and the vocabulary's end-of-turn tokens (REAL-MODELS.md §2).</summary>
    public IReadOnlySet<int> EndOfGenerationIds => Vocabulary.EndOfGenerationIds;

    /// <summary>True when <paramref name="id"/> ends generation (EOS, &lt;|eot_id|&gt;, &lt;|im_end|&gt;, …).</summary>
    public bool IsEndOfGeneration(int id) => Vocabulary.IsEndOfGeneration(id);

    /// <summary>Reads a SentencePiece .model file (tok512.model, Llama 2 tokenizer.model).</summary>
    public static HipTokenizer FromSentencePieceModel(string path) => new(Vocabulary.FromSentencePieceModel(path));

    /// <summary>
    /// Builds the tokenizer a GGUF file describes in tokenizer.ggml.* (model "llama": SentencePiece; "gpt2": byte-level
    /// BPE). <paramref name="source"/> names the file in messages.
    /// </summary>
    public static HipTokenizer FromGguf(IReadOnlyDictionary<string, object> metadata, string source) =>
        new(Vocabulary.FromGguf(metadata, source));

    /// <summary>Token ids of <paramref name="text"/> with no special tokens parsed, with BOS first when <paramref name="addBos"/> is set.</summary>
    public IReadOnlyList<int> Encode(string text, bool addBos) => Encode(text, addBos, allowSpecial: false);

    /// <summary>
    /// Token ids of <paramref name="text"/>, BOS first when <paramref name="addBos"/> is set. User-defined tokens are
    /// always single tokens; control tokens (&lt;|im_start|&gt;, &lt;s&gt;) only when <paramref name="allowSpecial"/> is set,
    /// which only text the caller wrote itself may ask for.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addBos, bool allowSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos)
            ids.Add(BosId);
        bool afterSpecial = true;   // SentencePiece: text at the start or after a special token gets the space prefix
        foreach (var (start, length, specialId) in Partition(text, allowSpecial))
        {
            if (specialId >= 0)
            {
                ids.Add(specialId);
                afterSpecial = true;
                continue;
            }
            EncodeText(text.Substring(start, length), afterSpecial, ids);
            afterSpecial = false;
        }
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>; control, unknown and unused tokens (BOS, EOS) give no text.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        bool first = true;
        foreach (int id in ids)
        {
            if (Vocabulary.IsSpecial(id))
                continue;
            var piece = Vocabulary.GetBytes(id);
            if (first && Vocabulary.AddSpacePrefix && piece.Length > 0 && piece[0] == (byte)' ')
                piece = piece[1..];   // the space the encoder put in front
            first = false;
            foreach (byte b in piece)
                bytes.Add(b);
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Number of tokens <see cref="Encode(string, bool)"/> gives without BOS.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text, addBos: false).Count;
    }

    /// <summary>True when <paramref name="id"/> writes text (not a control, unknown, unused or out-of-range id).</summary>
    internal bool IsTextToken(int id) => !Vocabulary.IsSpecial(id);

    /// <summary>Encodes one fragment without special tokens.</summary>
    private void EncodeText(string text, bool afterSpecial, List<int> ids)
    {
        if (_byteLevel is not null)
        {
            _byteLevel.Encode(text, ids);
            return;
        }
        if (Vocabulary.RemoveExtraWhitespaces)
            text = CollapseSpaces(text);
        if (text.Length == 0)
            return;
        if (Vocabulary.AddSpacePrefix && afterSpecial)
            text = " " + text;
        _sentencePiece!.Encode(text.Replace(' ', '\u2581'), ids);
    }

    /// <summary>
    /// Splits <paramref name="text"/> into raw fragments and special tokens (id ≥ 0) the way llama.cpp's
    /// tokenizer_st_partition does: each special token, longest first, is cut out of the fragments still raw.
    /// </summary>
    private List<(int Start, int Length, int SpecialId)> Partition(string text, bool allowSpecial)
    {
        var fragments = new List<(int Start, int Length, int SpecialId)>();
        if (text.Length > 0)
            fragments.Add((0, text.Length, -1));
        foreach (var (piece, id) in Vocabulary.SpecialTokens)
        {
            // without specials only user-defined tokens split out, and only in byte-level BPE: llama.cpp (c0c7e147)
            // keeps Phi-3's user-defined "</s>" as text there (measured on the corpus), but splits Qwen's <tool_call>
            if (!allowSpecial && (Vocabulary.GetTokenType(id) != TokenType.UserDefined || Vocabulary.Kind == VocabularyKind.SentencePiece))
                continue;
            for (int f = 0; f < fragments.Count; f++)
            {
                var (start, length, specialId) = fragments[f];
                if (specialId >= 0)
                    continue;
                int at = text.IndexOf(piece, start, length, StringComparison.Ordinal);
                if (at < 0)
                    continue;
                int end = start + length, after = at + piece.Length;
                if (Vocabulary.StripsSpacesAfter(id))
                    while (after < end && text[after] is ' ' or '\t' or '\n' or '\r' or '\v' or '\f')
                        after++;
                fragments.RemoveAt(f);
                int insert = f;
                if (at > start)
                    fragments.Insert(insert++, (start, at - start, -1));
                fragments.Insert(insert++, (at, piece.Length, id));
                if (after < end)
                    fragments.Insert(insert, (after, end - after, -1));
                f = insert - 1;   // the remainder (if any) is looked at next
            }
        }
        return fragments;
    }

    /// <summary>SentencePiece remove_extra_whitespaces: no leading or trailing spaces, runs of spaces as one.</summary>
    private static string CollapseSpaces(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text.AsSpan().Trim(' '))
            if (c != ' ' || builder[^1] != ' ')
                builder.Append(c);
        return builder.ToString();
    }
}
