using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace Hip.Inference;

/// <summary>
/// The engine's tokenizer: a Microsoft.ML.Tokenizers <see cref="Tokenizer"/> plus the ids generation needs. Encoding
/// never adds BOS by itself; <see cref="Encode"/> says when.
/// </summary>
public sealed class HipTokenizer
{
    private readonly bool[] _isText;   // [vocab] true where a token decodes to ordinary text (not a byte or special token)

    /// <summary>Wraps <paramref name="inner"/>, which must not add BOS/EOS itself.</summary>
    public HipTokenizer(Tokenizer inner, int bosId, int eosId, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        ArgumentOutOfRangeException.ThrowIfNegative(bosId);
        ArgumentOutOfRangeException.ThrowIfNegative(eosId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bosId, vocabSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(eosId, vocabSize);
        (Inner, BosId, EosId, VocabSize) = (inner, bosId, eosId, vocabSize);
        _isText = new bool[vocabSize];
        if (inner is SentencePieceTokenizer sentencePiece)
        {
            foreach (var (piece, id) in sentencePiece.Vocabulary)
                if ((uint)id < (uint)vocabSize)
                    _isText[id] = !IsBytePiece(piece) && id != sentencePiece.UnknownId;
        }
        else
        {
            Array.Fill(_isText, true);
        }
        _isText[bosId] = _isText[eosId] = false;
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath.</summary>
    public Tokenizer Inner { get; }

    /// <summary>Begin-of-sequence id.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id.</summary>
    public int EosId { get; }

    /// <summary>Number of token ids.</summary>
    public int VocabSize { get; }

    /// <summary>Reads a SentencePiece .model file (tok512.model, Llama 2 tokenizer.model).</summary>
    public static HipTokenizer FromSentencePieceModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            return FromSentencePiece(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Builds the tokenizer a GGUF file describes in tokenizer.ggml.* (model "llama": SentencePiece BPE with byte
    /// fallback). <paramref name="source"/> names the file in messages.
    /// </summary>
    public static HipTokenizer FromGguf(IReadOnlyDictionary<string, object> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(source);
        string model = GgufValues.GetOptionalString(metadata, GgufKeys.TokenizerModel, source)
            ?? throw new InvalidDataException($"{source}: metadata '{GgufKeys.TokenizerModel}' is missing: the file has no tokenizer; pass a tokenizer path.");
        if (model != GgufKeys.TokenizerModelLlama)
            throw new NotSupportedException(
                $"{source}: tokenizer model '{model}' is not supported; supported: '{GgufKeys.TokenizerModelLlama}' (SentencePiece).");

        var pieces = GgufValues.GetOptionalStringArray(metadata, GgufKeys.Tokens, source)
            ?? throw new InvalidDataException($"{source}: metadata '{GgufKeys.Tokens}' is missing, expected an array of strings.");
        if (pieces.Length == 0)
            throw new InvalidDataException($"{source}: metadata '{GgufKeys.Tokens}' is empty.");
        var scores = GgufValues.GetOptionalFloatArray(metadata, GgufKeys.Scores, source) ?? new float[pieces.Length];
        var types = GgufValues.GetOptionalInt32Array(metadata, GgufKeys.TokenType, source)
            ?? Array.ConvertAll(pieces, p => IsBytePiece(p) ? SentencePieceModelProto.Byte : SentencePieceModelProto.Normal);
        CheckLength(source, GgufKeys.Scores, scores.Length, pieces.Length);
        CheckLength(source, GgufKeys.TokenType, types.Length, pieces.Length);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++)
        {
            if (!seen.Add(pieces[i]))
                throw new InvalidDataException($"{source}: metadata '{GgufKeys.Tokens}' has '{GgufReader.Show(pieces[i])}' twice (again at id {i}).");
            if (types[i] == 0)
                types[i] = SentencePieceModelProto.Normal;   // "undefined" in older files
            else if (types[i] is < SentencePieceModelProto.Normal or > SentencePieceModelProto.Byte)
                throw new InvalidDataException($"{source}: metadata '{GgufKeys.TokenType}' is {types[i]} at id {i}, expected 1 to 6.");
        }

        int unkId = TokenId(metadata, GgufKeys.UnknownTokenId, source, pieces.Length, 0);
        int bosId = TokenId(metadata, GgufKeys.BosTokenId, source, pieces.Length, 1);
        int eosId = TokenId(metadata, GgufKeys.EosTokenId, source, pieces.Length, 2);
        int padId = GgufValues.GetOptionalInt32(metadata, GgufKeys.PaddingTokenId, source) is int pad && (uint)pad < (uint)pieces.Length ? pad : -1;
        bool addDummyPrefix = GgufValues.GetOptionalBool(metadata, GgufKeys.AddSpacePrefix, source) ?? true;

        var proto = SentencePieceModelProto.Build(pieces, scores, types, unkId, bosId, eosId, padId, addDummyPrefix);
        using var stream = new MemoryStream(proto, writable: false);
        return FromSentencePiece(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false));
    }

    /// <summary>Token ids of <paramref name="text"/>, with BOS first when <paramref name="addBos"/> is set.</summary>
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Inner.EncodeToIds(text);
        if (!addBos)
            return ids;
        var withBos = new List<int>(ids.Count + 1) { BosId };
        withBos.AddRange(ids);
        return withBos;
    }

    /// <summary>The text of <paramref name="ids"/>; special tokens (BOS, EOS) give no text.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Inner.Decode(ids);
    }

    /// <summary>Number of tokens <see cref="Encode"/> gives without BOS.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Inner.CountTokens(text);
    }

    /// <summary>True when <paramref name="id"/> decodes to ordinary text: not a byte, BOS, EOS, unknown or out-of-range id.</summary>
    internal bool IsTextToken(int id) => (uint)id < (uint)_isText.Length && _isText[id];

    private static HipTokenizer FromSentencePiece(SentencePieceTokenizer tokenizer) =>
        new(tokenizer, tokenizer.BeginningOfSentenceId, tokenizer.EndOfSentenceId, tokenizer.Vocabulary.Count);

    private static bool IsBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4]);

    private static int TokenId(IReadOnlyDictionary<string, object> metadata, string key, string source, int count, int fallback)
    {
        int id = GgufValues.GetOptionalInt32(metadata, key, source) ?? fallback;
        if ((uint)id >= (uint)count)
            throw new InvalidDataException($"{source}: metadata '{key}' is {id}, expected an id below the {count} tokens.");
        return id;
    }

    private static void CheckLength(string source, string key, int found, int expected)
    {
        if (found != expected)
            throw new InvalidDataException($"{source}: metadata '{key}' has {found} entries, expected {expected} (one per token).");
    }
}
