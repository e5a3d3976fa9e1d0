using System.Text;

namespace Hip.Inference;

/// <summary>
/// Tokenizes what a <see cref="ChatTemplate"/> renders, for one model. Special tokens (the model's control and
/// user-defined tokens, as GGUF tokenizer.ggml.token_type marks them, or the template's markers that a SentencePiece
/// vocabulary holds) become single ids only where the template wrote them: a message that spells
/// <c>&lt;|im_end|&gt;</c> stays ordinary text. Text between special tokens is encoded in one piece, the way
/// llama.cpp does it (a SentencePiece tokenizer adds its leading space after each special token).
/// </summary>
public sealed class ChatTemplateEncoder
{
    private readonly HipTokenizer _tokenizer;
    private readonly Dictionary<string, int> _specials = new(StringComparer.Ordinal);   // spelling → id
    private readonly Dictionary<char, string[]> _specialsByFirstChar;                   // longest first
    private readonly Vocabulary _vocabulary;

    /// <param name="metadata">The model file's key-values (<see cref="InferenceEngine.Metadata"/>); empty or null for llama2.c.</param>
    public ChatTemplateEncoder(HipTokenizer tokenizer, IReadOnlyDictionary<string, object>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _vocabulary = tokenizer.Vocabulary;
        metadata ??= new Dictionary<string, object>();
        const string source = "model metadata";

        // every control and user-defined token, as llama.cpp's special-token parsing does
        foreach (var (piece, id) in _vocabulary.SpecialTokens)
            if (_vocabulary.GetTokenType(id) is TokenType.Control or TokenType.UserDefined)
                _specials.TryAdd(piece, id);

        // any tokenizer: the known families' markers that the vocabulary holds as one piece
        foreach (var family in Enum.GetValues<ChatTemplateFamily>())
            if (family != ChatTemplateFamily.Custom)
                foreach (var marker in ChatTemplate.ForFamily(family).SpecialMarkers)
                    if (TryGetVocabularyId(marker, out int id))
                        _specials.TryAdd(marker, id);

        _specialsByFirstChar = _specials.Keys.GroupBy(s => s[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.Length).ToArray());
        AddBos = GgufValues.GetOptionalBool(metadata, GgufKeys.AddBosToken, source) ?? _vocabulary.AddBos;
    }

    /// <summary>Whether BOS goes first when a template does not write it itself (GGUF tokenizer.ggml.add_bos_token; default true).</summary>
    public bool AddBos { get; }

    /// <summary>Ids of the model's special tokens (control and user-defined tokens, template markers held as one piece).</summary>
    public IReadOnlyCollection<int> SpecialTokenIds => _specials.Values;

    /// <summary>The id of a special token's spelling, if the model has it.</summary>
    public bool TryGetSpecialTokenId(string spelling, out int id)
    {
        ArgumentNullException.ThrowIfNull(spelling);
        return _specials.TryGetValue(spelling, out id) || TryGetVocabularyId(spelling, out id);
    }

    /// <summary>The prompt's token ids: <see cref="ChatTemplate.Render"/> tokenized for this model.</summary>
    public IReadOnlyList<int> Encode(ChatTemplate template, IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt = true,
        IReadOnlyList<ChatTemplateTool>? tools = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        var parts = template.RenderParts(messages, addGenerationPrompt, tools);
        var extra = template.Family == ChatTemplateFamily.Custom ? CustomSpecials(template) : null;
        var ids = new List<int>();
        var text = new StringBuilder();   // ordinary text waiting to be encoded in one piece

        void FlushText()
        {
            if (text.Length == 0)
                return;
            ids.AddRange(_tokenizer.Encode(text.ToString(), addBos: false));
            text.Clear();
        }

        if (AddBos && (parts.Count == 0 || parts[0].Kind != ChatTemplatePartKind.Bos))
            ids.Add(_tokenizer.BosId);
        foreach (var part in parts)
        {
            switch (part.Kind)
            {
                case ChatTemplatePartKind.Bos:
                    FlushText();
                    ids.Add(_tokenizer.BosId);
                    break;
                case ChatTemplatePartKind.Eos:
                    FlushText();
                    ids.Add(_tokenizer.EosId);
                    break;
                case ChatTemplatePartKind.Content:
                    text.Append(part.Text);
                    break;
                default:
                    int start = 0;
                    for (int i = 0; i < part.Text.Length;)
                    {
                        if (MatchSpecial(part.Text, i, extra) is (string spelling, int id))
                        {
                            text.Append(part.Text, start, i - start);
                            FlushText();
                            ids.Add(id);
                            i += spelling.Length;
                            if (_vocabulary.StripsSpacesAfter(id))   // Phi-3: llama.cpp drops the spaces after a special token
                                while (i < part.Text.Length && part.Text[i] is ' ' or '\t' or '\n' or '\r' or '\v' or '\f')
                                    i++;
                            start = i;
                        }
                        else
                        {
                            i++;
                        }
                    }
                    text.Append(part.Text, start, part.Text.Length - start);
                    break;
            }
        }
        FlushText();
        return ids;
    }

    /// <summary>Ids of the template's end-of-turn markers that are single tokens of this model (EOS is always a stop).</summary>
    public IReadOnlySet<int> EndOfTurnTokenIds(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var ids = new HashSet<int>();
        foreach (var marker in template.EndOfTurnMarkers)
            if (TryGetSpecialTokenId(marker, out int id))
                ids.Add(id);
        return ids;
    }

    /// <summary>The template's end-of-turn markers that are not single tokens here, so they can only show up as text.</summary>
    public IReadOnlyList<string> EndOfTurnTexts(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.EndOfTurnMarkers.Where(m => !TryGetSpecialTokenId(m, out _)).ToArray();
    }

    private (string Spelling, int Id)? MatchSpecial(string text, int at, Dictionary<string, int>? extra)
    {
        if (extra is not null)
            foreach (var (spelling, id) in extra)
                if (string.CompareOrdinal(text, at, spelling, 0, spelling.Length) == 0)
                    return (spelling, id);
        if (_specialsByFirstChar.TryGetValue(text[at], out var candidates))
            foreach (var spelling in candidates)
                if (string.CompareOrdinal(text, at, spelling, 0, spelling.Length) == 0)
                    return (spelling, _specials[spelling]);
        return null;
    }

    /// <summary>A custom format's stop markers that the vocabulary holds as one piece.</summary>
    private Dictionary<string, int>? CustomSpecials(ChatTemplate template)
    {
        Dictionary<string, int>? found = null;
        foreach (var marker in template.SpecialMarkers)
            if (!_specials.ContainsKey(marker) && TryGetVocabularyId(marker, out int id))
                (found ??= new(StringComparer.Ordinal))[marker] = id;
        return found;
    }

    private bool TryGetVocabularyId(string spelling, out int id)
    {
        id = -1;
        return _vocabulary.TryGetId(spelling, out id) && _vocabulary.GetTokenType(id) != TokenType.Byte;
    }
}
