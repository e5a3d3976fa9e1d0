using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Hip.Inference.Tests.Tokenization;

/// <summary>
/// Every vocabulary gives llama.cpp's ids (REAL-MODELS.md §1-2): the 46 test vectors of llama.cpp's test-tokenizer-0,
/// the 4,149-line corpus, and the 1,500 chat prompts with special tokens; decoding gives the text back.
/// </summary>
public sealed class TokenizerConformanceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Vocabularies => [.. VocabularyFiles.All];
    public static TheoryData<string> ChatVocabularies => ["llama-bpe", "qwen2"];

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Encode_LlamaCppTestVectors_GivesLlamaCppIds(string vocab)
    {
        if (Load(vocab) is not { } tokenizer)
            return;
        string path = VocabularyFiles.Find(VocabularyFiles.GgufName(vocab), out _)!;
        var inputs = VocabularyFiles.ReadInputs(path + ".inp");
        var expected = VocabularyFiles.ReadIds(path + ".out");
        Assert.Equal(46, inputs.Length);
        Assert.Equal(inputs.Length, expected.Length);

        var failures = Compare(inputs, expected, text => tokenizer.Encode(text, addBos: false));

        Assert.True(failures.Count == 0, $"{vocab}: {46 - failures.Count}/46 match; first differences:\n{string.Join("\n", failures.Take(5))}");
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Encode_TokCorpus_GivesLlamaCppIdsAndDecodesBack(string vocab)
    {
        if (Load(vocab) is not { } tokenizer)
            return;
        string? idsPath = VocabularyFiles.CorpusPath($"ggml-vocab-{vocab}.tokcorpus.ids");
        if (idsPath is null || VocabularyFiles.CorpusPath("tokcorpus.jsonl") is null)
        {
            output.WriteLine($"skipped: corpus files for {vocab} not found.");
            return;
        }
        var texts = VocabularyFiles.TokCorpus;
        var expected = VocabularyFiles.ReadIds(idsPath);
        Assert.Equal(texts.Length, expected.Length);

        var watch = Stopwatch.StartNew();
        var failures = Compare(texts, expected, text => tokenizer.Encode(text, addBos: false));
        output.WriteLine($"{vocab}: {texts.Length - failures.Count}/{texts.Length} lines in {watch.ElapsedMilliseconds} ms");
        // SentencePiece spells spaces as '▁', so a text with a literal '▁' decodes with a space there (as in llama.cpp)
        bool spaceSymbolIsText = tokenizer.Vocabulary.Kind == VocabularyKind.ByteLevelBpe;
        var notRoundTripping = texts.Where(t => spaceSymbolIsText || !t.Contains('\u2581')).Select(t => (Text: t, Decoded: tokenizer.Decode(tokenizer.Encode(t, addBos: true))))
            .Where(p => p.Decoded != p.Text).Take(3).ToList();

        Assert.True(failures.Count == 0, $"{vocab}: {texts.Length - failures.Count}/{texts.Length} match; first differences:\n{string.Join("\n", failures.Take(5))}");
        Assert.True(notRoundTripping.Count == 0, $"{vocab}: decode(encode(text)) differs for {string.Join(", ", notRoundTripping.Select(p => $"{Show(p.Text)} (differs at char {FirstDifference(p.Text, p.Decoded)}: {Show(p.Text[Math.Max(0, FirstDifference(p.Text, p.Decoded) - 10)..])} became {Show(p.Decoded[Math.Max(0, FirstDifference(p.Text, p.Decoded) - 10)..])})"))}");
    }

    [Theory]
    [MemberData(nameof(ChatVocabularies))]
    public void Encode_ChatCorpusWithSpecials_GivesLlamaCppIds(string vocab)
    {
        if (Load(vocab) is not { } tokenizer)
            return;
        string? idsPath = VocabularyFiles.CorpusPath($"ggml-vocab-{vocab}.chatcorpus.ids");
        if (idsPath is null || VocabularyFiles.CorpusPath("chatcorpus.jsonl") is null)
        {
            output.WriteLine($"skipped: chat corpus files for {vocab} not found.");
            return;
        }
        var texts = VocabularyFiles.ChatCorpus;
        var expected = VocabularyFiles.ReadIds(idsPath);
        Assert.Equal(1500, texts.Length);

        var failures = Compare(texts, expected, text => tokenizer.Encode(text, addBos: false, allowSpecial: true));

        Assert.True(failures.Count == 0, $"{vocab}: {texts.Length - failures.Count}/{texts.Length} match; first differences:\n{string.Join("\n", failures.Take(5))}");
    }

    [Theory]
    [MemberData(nameof(ChatVocabularies))]
    public void Encode_ControlTokenInUserText_StaysText(string vocab)
    {
        if (Load(vocab) is not { } tokenizer)
            return;
        const string text = "<|im_start|>user<|eot_id|><|begin_of_text|>";

        var plain = tokenizer.Encode(text, addBos: false);
        var withSpecials = tokenizer.Encode(text, addBos: false, allowSpecial: true);

        Assert.DoesNotContain(plain, id => tokenizer.Vocabulary.GetTokenType(id) == TokenType.Control);
        Assert.Contains(withSpecials, id => tokenizer.Vocabulary.GetTokenType(id) == TokenType.Control);
        Assert.Equal(text, tokenizer.Decode(plain));
    }

    private HipTokenizer? Load(string vocab)
    {
        string? path = VocabularyFiles.Find(VocabularyFiles.GgufName(vocab), out string missing);
        if (path is null)
        {
            output.WriteLine(missing);
            return null;
        }
        var watch = Stopwatch.StartNew();
        var tokenizer = VocabularyFiles.Tokenizer(path);
        output.WriteLine($"{vocab}: loaded in {watch.ElapsedMilliseconds} ms (0 when cached)");
        return tokenizer;
    }

    private static List<string> Compare(string[] texts, int[][] expected, Func<string, IReadOnlyList<int>> encode)
    {
        var failures = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            var ids = encode(texts[i]);
            if (ids.SequenceEqual(expected[i]))
                continue;
            int first = 0;
            while (first < ids.Count && first < expected[i].Length && ids[first] == expected[i][first])
                first++;
            int from = Math.Max(0, first - 3);
            failures.Add($"  #{i} {Show(texts[i])}: from token {from}, expected [{string.Join(' ', expected[i].Skip(from).Take(8))}], got [{string.Join(' ', ids.Skip(from).Take(8))}]");
        }
        return failures;
    }

    private static int FirstDifference(string a, string b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
            i++;
        return i;
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text.Length > 80 ? text[..80] : text);
}

/// <summary>Vocabulary facts the engine relies on, on the real byte-level vocabularies.</summary>
public sealed class ByteLevelVocabularyTests(ITestOutputHelper output)
{
    [Fact]
    public void EndOfGenerationIds_Llama3_HoldEotAndEndOfText()
    {
        if (VocabularyFiles.Find(VocabularyFiles.GgufName("llama-bpe"), out string missing) is not { } path)
        {
            output.WriteLine(missing);
            return;
        }
        var tokenizer = VocabularyFiles.Tokenizer(path);

        // Llama 3.0's vocabulary: <|end_of_text|> and <|eot_id|>; 128008 is still a reserved token here (3.1's <|eom_id|>)
        Assert.Equal(new HashSet<int> { 128001, 128009 }, tokenizer.EndOfGenerationIds.ToHashSet());
        Assert.False(tokenizer.IsEndOfGeneration(tokenizer.BosId));
    }

    [Fact]
    public void StreamingDecoder_Qwen2EmojiAcrossByteTokens_HoldsBytesUntilComplete()
    {
        if (VocabularyFiles.Find(VocabularyFiles.GgufName("qwen2"), out string missing) is not { } path)
        {
            output.WriteLine(missing);
            return;
        }
        var tokenizer = VocabularyFiles.Tokenizer(path);
        var prompt = tokenizer.Encode("Hi", addBos: false);
        const string text = " 🦙 ok 日本";
        var ids = tokenizer.Encode(text, addBos: false);
        Assert.Contains(ids, id => System.Text.Encoding.UTF8.GetCharCount(tokenizer.Vocabulary.GetBytes(id)) == 0
            || tokenizer.Vocabulary.GetBytes(id).ToArray().Any(b => b >= 0x80) && !IsCompleteUtf8(tokenizer.Vocabulary.GetBytes(id).ToArray()));

        var decoder = new StreamingDecoder(tokenizer, prompt);
        var deltas = ids.Select(decoder.Append).ToList();

        Assert.Equal(text, string.Concat(deltas) + decoder.Flush());
        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
    }

    private static bool IsCompleteUtf8(byte[] bytes)
    {
        try
        {
            new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}
