using Microsoft.ML.Tokenizers;

namespace Hip.Inference;

/// <summary>
/// Byte-level BPE as llama.cpp runs it (llm_tokenizer_bpe): <see cref="ByteLevelPreTokenizer"/> splits the text into
/// words; for llama-bpe a word that is a vocabulary entry as a whole is one token (ignore_merges); every other word
/// goes through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with the file's merges and the GPT-2 byte map.
/// </summary>
internal sealed class ByteLevelBpeEncoder
{
    private readonly Vocabulary _vocabulary;
    private readonly ByteLevelPreTokenizer _splitter;
    private readonly BpeTokenizer _bpe;

    public ByteLevelBpeEncoder(Vocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        var rules = ByteLevelPreTokenizer.Resolve(vocabulary.PreTokenizer ?? "")
            ?? throw new InvalidDataException($"{vocabulary.Source}: pre-tokenizer '{vocabulary.PreTokenizer}' is not known.");
        _splitter = new ByteLevelPreTokenizer(rules);
        var entries = new List<KeyValuePair<string, int>>(vocabulary.Count);
        for (int id = 0; id < vocabulary.Count; id++)
            if (vocabulary.GetTokenType(id) != TokenType.Unused)
                entries.Add(new(vocabulary.GetPiece(id), id));
        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(entries)
            {
                Merges = vocabulary.Merges,
                ByteLevel = true,
                PreTokenizer = _splitter,
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{vocabulary.Source}: metadata '{GgufKeys.Merges}' does not fit the vocabulary ({e.Message}).", e);
        }
    }

    /// <summary>The splitter, for offsets and tests.</summary>
    public ByteLevelPreTokenizer Splitter => _splitter;

    /// <summary>Appends the ids of one raw text fragment (no special tokens inside) to <paramref name="output"/>.</summary>
    public void Encode(string text, List<int> output)
    {
        foreach (var (offset, length) in _splitter.Split(text))
        {
            var word = text.AsSpan(offset, length);
            if (_splitter.IgnoresMerges && _vocabulary.TryGetId(ByteLevelMap.Encode(word), out int id))
            {
                output.Add(id);
                continue;
            }
            output.AddRange(_bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }
}
