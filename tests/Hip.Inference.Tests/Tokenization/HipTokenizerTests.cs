using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Tokenization;

public sealed class HipTokenizerTests
{
    internal const string Lily = "Once upon a time, there was a little girl named Lily.";
    internal static readonly int[] LilyIds = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426];
    internal static readonly int[] LilyIdsLlama2 = [1, 9038, 2501, 263, 931, 29892, 727, 471, 263, 2217, 7826, 4257, 365, 2354, 29889];

    internal static string Tok512Path => Path.Combine(RepoPaths.Stories260K, "tok512.model");
    internal static string StoriesGguf => Path.Combine(RepoPaths.Stories260K, "stories260K.gguf");

    private static readonly Lazy<HipTokenizer> s_tok512 = new(() => HipTokenizer.FromSentencePieceModel(Tok512Path));
    private static readonly Lazy<HipTokenizer> s_storiesGguf = new(() => FromGgufFile(StoriesGguf));
    private static readonly Lazy<HipTokenizer> s_llama2 = new(() => FromGgufFile(RepoPaths.TinyRandomGguf));

    internal static HipTokenizer Tok512 => s_tok512.Value;
    internal static HipTokenizer StoriesGgufTokenizer => s_storiesGguf.Value;
    internal static HipTokenizer Llama2 => s_llama2.Value;

    internal static HipTokenizer FromGgufFile(string path) => HipTokenizer.FromGguf(GgufReader.ReadHeader(path).Metadata, path);

    [Fact]
    public void FromSentencePieceModel_Tok512_HasSpecialIdsAndVocab()
    {
        Assert.Equal((1, 2, 512), (Tok512.BosId, Tok512.EosId, Tok512.VocabSize));
    }

    [Fact]
    public void Encode_Tok512Lily_GivesModelIds()
    {
        Assert.Equal(LilyIds, Tok512.Encode(Lily, addBos: true));
        Assert.Equal(LilyIds[1..], Tok512.Encode(Lily, addBos: false));
        Assert.Equal(LilyIds.Length - 1, Tok512.CountTokens(Lily));
    }

    [Fact]
    public void Encode_Stories260KGgufTokenizer_GivesSameIdsAsTok512()
    {
        var tokenizer = StoriesGgufTokenizer;

        Assert.Equal((1, 2, 512), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabSize));
        Assert.Equal(LilyIds, tokenizer.Encode(Lily, addBos: true));
        // tok512.model keeps SentencePiece's remove_extra_whitespaces default; GGUF tokenizers (like llama.cpp) keep
        // every space, so texts with runs of spaces are left out here
        foreach (string text in new[] { "héllo wörld 😀", "a line\nand another", "Tom's cat said: \"hi!\" 42" })
            Assert.Equal(Tok512.Encode(text, addBos: true), tokenizer.Encode(text, addBos: true));
    }

    [Fact]
    public void Encode_TinyRandomGgufTokenizer_GivesLlama2Ids()
    {
        var tokenizer = Llama2;

        Assert.Equal((1, 2, 32000), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabSize));
        Assert.Equal(LilyIdsLlama2, tokenizer.Encode(Lily, addBos: true));
    }

    [Theory]
    [InlineData(Lily)]
    [InlineData("héllo wörld 😀")]
    [InlineData("Ünïcödé 日本語 and emoji 🎉🎉, tabs\tand\nnewlines")]
    [InlineData("")]
    public void Decode_EncodedText_RoundTrips(string text)
    {
        foreach (var tokenizer in new[] { Tok512, StoriesGgufTokenizer, Llama2 })
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: true)));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: false)));
        }
    }

    [Fact]
    public void Encode_Tok512NonAscii_UsesByteFallbackTokens()
    {
        var ids = Tok512.Encode("😀", addBos: false);

        // F0 9F 98 80 as byte tokens <0xF0>.. at id byte + 3, after the dummy-prefix space
        Assert.Equal([0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3], ids.Skip(ids.Count - 4));
    }

    [Fact]
    public void Decode_SpecialTokens_GiveNoText()
    {
        Assert.Equal("Once", Tok512.Decode([1, 403, 2]));
    }

    [Fact]
    public void FromGguf_Gpt2WithoutMerges_ThrowsInvalidDataNamingKey()
    {
        var metadata = new Dictionary<string, object>
        {
            [GgufKeys.TokenizerModel] = "gpt2",
            [GgufKeys.TokenizerPre] = "qwen2",
            [GgufKeys.Tokens] = new[] { "a", "b", "<|endoftext|>" },
        };

        var e = Assert.Throws<InvalidDataException>(() => HipTokenizer.FromGguf(metadata, "model.gguf"));

        Assert.Contains(GgufKeys.Merges, e.Message);
        Assert.Contains("model.gguf", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("default")]
    [InlineData("no-such-pre")]
    public void FromGguf_Gpt2WithUnknownPre_ThrowsInvalidDataNamingPre(string? pre)
    {
        var metadata = new Dictionary<string, object>
        {
            [GgufKeys.TokenizerModel] = "gpt2",
            [GgufKeys.Tokens] = new[] { "a", "b", "ab" },
            [GgufKeys.Merges] = new[] { "a b" },
        };
        if (pre is not null)
            metadata[GgufKeys.TokenizerPre] = pre;

        var e = Assert.Throws<InvalidDataException>(() => HipTokenizer.FromGguf(metadata, "model.gguf"));

        Assert.Contains(GgufKeys.TokenizerPre, e.Message);
        Assert.Contains(pre ?? "missing", e.Message);
        Assert.Contains("llama-bpe", e.Message);
    }

    [Fact]
    public void FromGguf_UnknownTokenizerModel_ThrowsInvalidDataNamingModel()
    {
        var metadata = new Dictionary<string, object>
        {
            [GgufKeys.TokenizerModel] = "bert",
            [GgufKeys.Tokens] = new[] { "a", "b" },
        };

        var e = Assert.Throws<InvalidDataException>(() => HipTokenizer.FromGguf(metadata, "model.gguf"));

        Assert.Contains("'bert'", e.Message);
        Assert.Contains(GgufKeys.TokenizerModel, e.Message);
    }

    [Fact]
    public void FromGguf_TinyByteLevelVocabulary_MergesAndDecodes()
    {
        // Ġ is the GPT-2 byte character of a space
        var metadata = new Dictionary<string, object>
        {
            [GgufKeys.TokenizerModel] = "gpt2",
            [GgufKeys.TokenizerPre] = "gpt-2",
            [GgufKeys.Tokens] = new[] { "a", "b", "Ġ", "ab", "Ġab", "<|endoftext|>" },
            [GgufKeys.TokenType] = new[] { 1, 1, 1, 1, 1, 3 },
            [GgufKeys.Merges] = new[] { "a b", "Ġ ab" },
        };

        var tokenizer = HipTokenizer.FromGguf(metadata, "tiny.gguf");

        Assert.Equal([3, 4, 0], tokenizer.Encode("ab aba", addBos: false));
        Assert.Equal("ab aba", tokenizer.Decode([3, 4, 0, 5]));
        Assert.Equal((5, 5), (tokenizer.BosId, tokenizer.EosId));
        Assert.True(tokenizer.IsEndOfGeneration(5));
        Assert.Equal([1, 5], tokenizer.Encode("b<|endoftext|>", addBos: false, allowSpecial: true));
        Assert.DoesNotContain(5, tokenizer.Encode("b<|endoftext|>", addBos: false));
    }

    [Fact]
    public void FromGguf_ScoresOfWrongLength_ThrowsInvalidData()
    {
        var metadata = new Dictionary<string, object>(GgufReader.ReadHeader(StoriesGguf).Metadata)
        {
            [GgufKeys.Scores] = new float[3],
        };

        var e = Assert.Throws<InvalidDataException>(() => HipTokenizer.FromGguf(metadata, "stories.gguf"));

        Assert.Contains(GgufKeys.Scores, e.Message);
        Assert.Contains("512", e.Message);
    }

    [Fact]
    public void FromGguf_NoTokenizer_ThrowsInvalidDataAskingForPath()
    {
        var e = Assert.Throws<InvalidDataException>(() => HipTokenizer.FromGguf(new Dictionary<string, object>(), "bare.gguf"));

        Assert.Contains("tokenizer path", e.Message);
    }
}
