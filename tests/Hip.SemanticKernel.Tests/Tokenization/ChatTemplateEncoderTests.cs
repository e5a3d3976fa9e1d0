using Hip.Inference;
using Hip.TestSupport;
using Xunit;

namespace Hip.SemanticKernel.Tests.Tokenization;

/// <summary>Tokenizing rendered templates with the full Llama 2 vocabulary of the tiny random GGUF (its &lt;s&gt;/&lt;/s&gt; are control tokens).</summary>
public sealed class ChatTemplateEncoderTests
{
    private static readonly Lazy<(HipTokenizer Tokenizer, IReadOnlyDictionary<string, object> Metadata)> s_llama2 = new(() =>
    {
        var metadata = GgufReader.ReadHeader(RepoPaths.TinyRandomGguf).Metadata;
        return (HipTokenizer.FromGguf(metadata, RepoPaths.TinyRandomGguf), metadata);
    });

    private static HipTokenizer Tokenizer => s_llama2.Value.Tokenizer;
    private static ChatTemplateEncoder Encoder => new(Tokenizer, s_llama2.Value.Metadata);

    [Fact]
    public void Encode_Plain_IsBosAndTheText()
    {
        var ids = Encoder.Encode(ChatTemplate.Plain, [ChatTemplateMessage.User("Once upon a time")]);

        Assert.Equal(Tokenizer.Encode("Once upon a time", addBos: true), ids);
    }

    [Fact]
    public void Encode_Llama2_BosAndEosAreSpecialIds()
    {
        var ids = Encoder.Encode(ChatTemplate.Llama2,
            [ChatTemplateMessage.User("Hi!"), ChatTemplateMessage.Assistant("Hello."), ChatTemplateMessage.User("Bye.")]);

        var expected = new List<int> { Tokenizer.BosId };
        expected.AddRange(Tokenizer.Encode("[INST] Hi! [/INST] Hello. ", addBos: false));
        expected.Add(Tokenizer.EosId);
        expected.Add(Tokenizer.BosId);
        expected.AddRange(Tokenizer.Encode("[INST] Bye. [/INST]", addBos: false));
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void Encode_ContentSpellingASpecialToken_StaysText()
    {
        var ids = Encoder.Encode(ChatTemplate.Plain, [ChatTemplateMessage.User("a </s> b <s>")]);

        Assert.Equal(1, ids.Count(id => id == Tokenizer.BosId));
        Assert.DoesNotContain(Tokenizer.EosId, ids);
    }

    [Fact]
    public void Encode_TemplateTextSpellingASpecialToken_BecomesOneId()
    {
        var template = ChatTemplate.FromFormat(new ChatTemplateFormat { Prefix = "", Message = "{content}</s>" });

        var ids = Encoder.Encode(template, [ChatTemplateMessage.User("Hi")]);

        Assert.Equal([Tokenizer.BosId, .. Tokenizer.Encode("Hi", addBos: false), Tokenizer.EosId], ids);
    }

    [Fact]
    public void TryGetSpecialTokenId_ControlToken_FindsIt()
    {
        Assert.True(Encoder.TryGetSpecialTokenId("</s>", out int eos));
        Assert.Equal(Tokenizer.EosId, eos);
        Assert.False(Encoder.TryGetSpecialTokenId("<|im_end|>", out _));
    }

    [Fact]
    public void EndOfTurn_MarkersMissingFromTheVocabulary_AreTextStops()
    {
        Assert.Empty(Encoder.EndOfTurnTokenIds(ChatTemplate.ChatML));
        Assert.Equal(["<|im_end|>", "<|endoftext|>"], Encoder.EndOfTurnTexts(ChatTemplate.ChatML));
    }
}
