using System.Collections.Frozen;
using System.Text;

namespace Hip.Inference;

/// <summary>
/// One model's vocabulary, shared by the tokenizer, the streaming decoder and the grammar constraint: per id the
/// piece as stored, the bytes it writes (GPT-2 byte map undone for byte-level BPE; '▁' → space and &lt;0xNN&gt; → that
/// byte for SentencePiece), its <see cref="TokenType"/> and score; the special ids and the end-of-generation set
/// (REAL-MODELS.md §2). Built from GGUF tokenizer.ggml.* metadata or a SentencePiece .model file.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Pieces that end generation wherever a vocabulary has them (llama.cpp's EOG list, FIM pad/repo/separator included).</summary>
    private static readonly string[] s_endOfGenerationPieces =
    [
        "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<|repo_name|>", "<|fim_repo|>", "<fim-repo>", "<|file_sep|>", "<file_sep>",
    ];

    private readonly string[] _pieces;        // [count] as stored in the file
    private readonly byte[][] _bytes;         // [count] what the token writes; special tokens: their spelling
    private readonly TokenType[] _types;      // [count]
    private readonly float[] _scores;         // [count] SentencePiece merge scores (0 for byte-level BPE)
    private readonly Dictionary<string, int> _ids;   // piece → id (unused slots left out)
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly bool[] _stripAfter;      // [count] Phi-3: spaces after this special token are dropped (RSTRIP)

    private Vocabulary(string source, VocabularyKind kind, string[] pieces, float[] scores, TokenType[] types,
        int unknownId, int bosId, int eosId, bool addBos, bool addSpacePrefix, bool removeExtraWhitespaces,
        string? preTokenizer, string[]? merges, bool stripSpacesAfterSpecials)
    {
        (Source, Kind, _pieces, _scores, _types) = (source, kind, pieces, scores, types);
        (UnknownId, BosId, EosId, AddBos, AddSpacePrefix, RemoveExtraWhitespaces) = (unknownId, bosId, eosId, addBos, addSpacePrefix, removeExtraWhitespaces);
        (PreTokenizer, Merges) = (preTokenizer, merges);
        int count = pieces.Length;

        _ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            if (types[id] == TokenType.Unused)
                continue;
            if (!_ids.TryAdd(pieces[id], id))
                throw new InvalidDataException($"{source}: the vocabulary has '{GgufReader.Show(pieces[id])}' twice (ids {_ids[pieces[id]]} and {id}); every piece must be unique.");
        }

        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        // end of generation: EOS and the known end-of-turn pieces; they never write text
        var endOfGeneration = new HashSet<int> { eosId };
        foreach (string piece in s_endOfGenerationPieces)
            if (_ids.TryGetValue(piece, out int id))
                endOfGeneration.Add(id);
        EndOfGenerationIds = endOfGeneration.ToFrozenSet();
        foreach (int id in endOfGeneration.Append(bosId))
            if (types[id] == TokenType.Normal)
                types[id] = TokenType.Control;
        if (unknownId >= 0 && types[unknownId] == TokenType.Normal)
            types[unknownId] = TokenType.Unknown;

        _bytes = new byte[count][];
        for (int id = 0; id < count; id++)
            _bytes[id] = PieceBytes(id);

        // special tokens split out of text before tokenizing, longest first (llama.cpp tokenizer_st_partition)
        SpecialTokens = Enumerable.Range(0, count)
            .Where(id => types[id] is TokenType.Control or TokenType.Unknown or TokenType.UserDefined && pieces[id].Length > 0)
            .OrderByDescending(id => pieces[id].Length).ThenBy(id => id)
            .Select(id => (pieces[id], id)).ToArray();

        // Phi-3 (llama.cpp, by general.name): every special token strips the spaces after it, but <unk>, <s>, <|endoftext|>
        _stripAfter = new bool[count];
        if (stripSpacesAfterSpecials)
        {
            foreach (var (_, id) in SpecialTokens)
                _stripAfter[id] = true;
            foreach (string piece in new[] { "<unk>", "<s>", "<|endoftext|>" })
                if (_ids.TryGetValue(piece, out int id))
                    _stripAfter[id] = false;
        }
    }

    /// <summary>The file the vocabulary came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The algorithm that tokenizes with this vocabulary.</summary>
    public VocabularyKind Kind { get; }

    /// <summary>Number of token ids.</summary>
    public int Count => _pieces.Length;

    /// <summary>Begin-of-sequence id.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id.</summary>
    public int EosId { get; }

    /// <summary>The unknown token's id, or -1.</summary>
    public int UnknownId { get; }

    /// <summary>Whether prompts start with BOS (GGUF tokenizer.ggml.add_bos_token; SentencePiece and llama-bpe default true).</summary>
    public bool AddBos { get; }

    /// <summary>SentencePiece: text gets a leading space before tokenizing, and decoding drops it again.</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>The tokenizer.ggml.pre name of a byte-level BPE vocabulary (null for SentencePiece).</summary>
    public string? PreTokenizer { get; }

    /// <summary>Ids that end generation: EOS plus end-of-turn tokens (&lt;|eot_id|&gt;, &lt;|im_end|&gt;, &lt;|end|&gt;, …) present here.</summary>
    public IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>SentencePiece .model files: runs of spaces collapse and leading/trailing spaces go (normalizer remove_extra_whitespaces).</summary>
    internal bool RemoveExtraWhitespaces { get; }

    /// <summary>Byte-level BPE merges, "left right", best first.</summary>
    internal string[]? Merges { get; }

    /// <summary>Control, unknown and user-defined tokens by spelling, longest first.</summary>
    internal (string Piece, int Id)[] SpecialTokens { get; }

    /// <summary>True when <paramref name="id"/> ends generation.</summary>
    public bool IsEndOfGeneration(int id) => EndOfGenerationIds.Contains(id);

    /// <summary>The piece as the file stores it (GPT-2 byte characters, '▁' for spaces, &lt;0xNN&gt;).</summary>
    public string GetPiece(int id) => _pieces[CheckId(id)];

    /// <summary>The bytes token <paramref name="id"/> writes; for control, unknown and unused tokens, their spelling.</summary>
    public ReadOnlySpan<byte> GetBytes(int id) => _bytes[CheckId(id)];

    /// <summary>What token <paramref name="id"/> is.</summary>
    public TokenType GetTokenType(int id) => _types[CheckId(id)];

    /// <summary>The SentencePiece score of token <paramref name="id"/> (0 for byte-level BPE).</summary>
    public float GetScore(int id) => _scores[CheckId(id)];

    /// <summary>True for tokens that write no text when decoded: control, unknown and unused tokens.</summary>
    public bool IsSpecial(int id) => (uint)id >= (uint)Count || _types[id] is TokenType.Control or TokenType.Unknown or TokenType.Unused;

    /// <summary>The id of a piece spelled as the file stores it.</summary>
    public bool TryGetId(string piece, out int id)
    {
        ArgumentNullException.ThrowIfNull(piece);
        return _ids.TryGetValue(piece, out id);
    }

    /// <summary>The id of a piece, looked up without allocating.</summary>
    internal bool TryGetId(ReadOnlySpan<char> piece, out int id) => _idsBySpan.TryGetValue(piece, out id);

    /// <summary>Phi-3: whether the spaces after special token <paramref name="id"/> are dropped before tokenizing the text that follows.</summary>
    internal bool StripsSpacesAfter(int id) => _stripAfter[id];

    /// <summary>Reads a SentencePiece .model file (llama2.c tok512.model, Llama 2 tokenizer.model).</summary>
    public static Vocabulary FromSentencePieceModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path, e);
        }
        return FromSentencePieceModel(data, path);
    }

    /// <summary>Parses the bytes of a SentencePiece .model file; <paramref name="source"/> names it in messages.</summary>
    public static Vocabulary FromSentencePieceModel(ReadOnlySpan<byte> data, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var model = SentencePieceModelReader.Read(data, source);
        if (model.ModelType != SentencePieceModelReader.ModelTypeBpe)
            throw new InvalidDataException(
                $"{source}: SentencePiece trainer_spec.model_type is {model.ModelType}, expected {SentencePieceModelReader.ModelTypeBpe} (BPE); unigram, word and char models are not supported.");
        if (model.Pieces.Length == 0)
            throw new InvalidDataException($"{source}: the SentencePiece model has no pieces.");
        if (!model.EscapeWhitespaces)
            throw new InvalidDataException($"{source}: SentencePiece normalizer_spec.escape_whitespaces is false, expected true (spaces as '▁').");
        var types = ToTypes(model.Types, model.Pieces, source, "piece type");
        int count = model.Pieces.Length;
        CheckId(model.BosId, count, source, "trainer_spec.bos_id");
        CheckId(model.EosId, count, source, "trainer_spec.eos_id");
        int unknownId = model.UnknownId;
        if (unknownId != -1)
            CheckId(unknownId, count, source, "trainer_spec.unk_id");
        return new Vocabulary(source, VocabularyKind.SentencePiece, model.Pieces, model.Scores, types, unknownId, model.BosId, model.EosId,
            addBos: true, model.AddDummyPrefix, model.RemoveExtraWhitespaces, preTokenizer: null, merges: null, stripSpacesAfterSpecials: false);
    }

    /// <summary>
    /// Builds the vocabulary a GGUF file describes in tokenizer.ggml.* (model "llama": SentencePiece; "gpt2": byte-level
    /// BPE with the pre-tokenizer tokenizer.ggml.pre names). <paramref name="source"/> names the file in messages.
    /// </summary>
    public static Vocabulary FromGguf(IReadOnlyDictionary<string, object> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(source);
        string model = GgufValues.GetOptionalString(metadata, GgufKeys.TokenizerModel, source)
            ?? throw new InvalidDataException($"{source}: metadata '{GgufKeys.TokenizerModel}' is missing: the file has no tokenizer; pass a tokenizer path.");
        var kind = model switch
        {
            GgufKeys.TokenizerModelLlama => VocabularyKind.SentencePiece,
            GgufKeys.TokenizerModelGpt2 => VocabularyKind.ByteLevelBpe,
            _ => throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.TokenizerModel}' is '{GgufReader.Show(model)}', expected '{GgufKeys.TokenizerModelLlama}' (SentencePiece) or '{GgufKeys.TokenizerModelGpt2}' (byte-level BPE)."),
        };

        var pieces = GgufValues.GetOptionalStringArray(metadata, GgufKeys.Tokens, source)
            ?? throw new InvalidDataException($"{source}: metadata '{GgufKeys.Tokens}' is missing, expected an array of strings.");
        if (pieces.Length == 0)
            throw new InvalidDataException($"{source}: metadata '{GgufKeys.Tokens}' is empty.");
        int count = pieces.Length;
        var scores = GgufValues.GetOptionalFloatArray(metadata, GgufKeys.Scores, source) ?? new float[count];
        var rawTypes = GgufValues.GetOptionalInt32Array(metadata, GgufKeys.TokenType, source)
            ?? Array.ConvertAll(pieces, p => (int)(kind == VocabularyKind.SentencePiece && TryParseBytePiece(p, out _) ? TokenType.Byte : TokenType.Normal));
        CheckLength(source, GgufKeys.Scores, scores.Length, count);
        CheckLength(source, GgufKeys.TokenType, rawTypes.Length, count);
        var types = ToTypes(rawTypes, pieces, source, $"metadata '{GgufKeys.TokenType}'");

        string? pre = null;
        string[]? merges = null;
        if (kind == VocabularyKind.ByteLevelBpe)
        {
            pre = GgufValues.GetOptionalString(metadata, GgufKeys.TokenizerPre, source);
            if (pre is null || ByteLevelPreTokenizer.Resolve(pre) is null)
                throw new InvalidDataException(
                    $"{source}: metadata '{GgufKeys.TokenizerPre}' is {(pre is null ? "missing" : $"'{GgufReader.Show(pre)}'")}, expected one of {string.Join(", ", ByteLevelPreTokenizer.KnownNames)}: the pre-tokenizer decides how text splits, and a guess would tokenize differently from the model's training.");
            merges = GgufValues.GetOptionalStringArray(metadata, GgufKeys.Merges, source);
            if (merges is null || merges.Length == 0)
                throw new InvalidDataException($"{source}: metadata '{GgufKeys.Merges}' is {(merges is null ? "missing" : "empty")}, expected the BPE merges (\"left right\" strings) a '{GgufKeys.TokenizerModelGpt2}' vocabulary needs.");
            for (int i = 0; i < merges.Length; i++)
                if (merges[i].Length < 3 || merges[i].IndexOf(' ', 1) is var space && (space < 0 || space == merges[i].Length - 1))
                    throw new InvalidDataException($"{source}: metadata '{GgufKeys.Merges}' entry {i} is '{GgufReader.Show(merges[i])}', expected two pieces separated by one space.");
        }

        bool spm = kind == VocabularyKind.SentencePiece;
        int unknownId = OptionalId(metadata, GgufKeys.UnknownTokenId, source, count, spm ? 0 : -1);
        int bosId = OptionalId(metadata, GgufKeys.BosTokenId, source, count, spm ? 1 : FindPiece(pieces, "<|begin_of_text|>", "<|endoftext|>", "<s>"));
        int eosId = OptionalId(metadata, GgufKeys.EosTokenId, source, count, spm ? 2 : FindPiece(pieces, "<|end_of_text|>", "<|endoftext|>", "</s>"));
        if (bosId < 0 || eosId < 0)
            throw new InvalidDataException(
                $"{source}: metadata '{(bosId < 0 ? GgufKeys.BosTokenId : GgufKeys.EosTokenId)}' is missing and the vocabulary has no well-known piece for it.");
        bool addBos = GgufValues.GetOptionalBool(metadata, GgufKeys.AddBosToken, source) ?? (spm || pre is "llama-bpe" or "llama3" or "falcon3" or "pixtral");
        bool addSpacePrefix = spm && (GgufValues.GetOptionalBool(metadata, GgufKeys.AddSpacePrefix, source) ?? true);
        string name = (GgufValues.GetOptionalString(metadata, GgufKeys.Name, source) ?? "").ToLowerInvariant();
        bool phi3 = name.Contains("phi-3", StringComparison.Ordinal) || name.Contains("phi3", StringComparison.Ordinal);
        return new Vocabulary(source, kind, pieces, scores, types, unknownId, bosId, eosId, addBos, addSpacePrefix,
            removeExtraWhitespaces: false, pre, merges, stripSpacesAfterSpecials: phi3);
    }

    /// <summary>Parses a SentencePiece byte piece &lt;0xNN&gt;.</summary>
    internal static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4])
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }

    private byte[] PieceBytes(int id)
    {
        string piece = _pieces[id];
        return _types[id] switch
        {
            TokenType.Byte when TryParseBytePiece(piece, out byte value) => [value],
            TokenType.Byte when Kind == VocabularyKind.SentencePiece => throw new InvalidDataException(
                $"{Source}: token {id} is a byte token but its piece is '{GgufReader.Show(piece)}', expected <0xNN>."),
            TokenType.Normal or TokenType.Byte when Kind == VocabularyKind.ByteLevelBpe => ByteLevelMap.Decode(piece),
            TokenType.Normal => Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' ')),
            _ => Encoding.UTF8.GetBytes(piece),
        };
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary of {Count} tokens.");
        return id;
    }

    private static TokenType[] ToTypes(int[] raw, string[] pieces, string source, string what)
    {
        var types = new TokenType[raw.Length];
        for (int id = 0; id < raw.Length; id++)
        {
            types[id] = raw[id] switch
            {
                0 => TokenType.Normal,   // "undefined" in older files
                >= (int)TokenType.Normal and <= (int)TokenType.Byte => (TokenType)raw[id],
                _ => throw new InvalidDataException($"{source}: {what} is {raw[id]} at id {id} ('{GgufReader.Show(pieces[id])}'), expected 1 to 6."),
            };
        }
        return types;
    }

    private static void CheckId(int id, int count, string source, string key)
    {
        if ((uint)id >= (uint)count)
            throw new InvalidDataException($"{source}: {key} is {id}, expected an id below the {count} tokens.");
    }

    private static int OptionalId(IReadOnlyDictionary<string, object> metadata, string key, string source, int count, int fallback)
    {
        if (GgufValues.GetOptionalInt32(metadata, key, source) is not int id)
            return fallback;
        if ((uint)id >= (uint)count)
            throw new InvalidDataException($"{source}: metadata '{key}' is {id}, expected an id below the {count} tokens.");
        return id;
    }

    private static int FindPiece(string[] pieces, params string[] candidates)
    {
        foreach (string candidate in candidates)
        {
            int id = Array.IndexOf(pieces, candidate);
            if (id >= 0)
                return id;
        }
        return -1;
    }

    private static void CheckLength(string source, string key, int found, int expected)
    {
        if (found != expected)
            throw new InvalidDataException($"{source}: metadata '{key}' has {found} entries, expected {expected} (one per token).");
    }
}
