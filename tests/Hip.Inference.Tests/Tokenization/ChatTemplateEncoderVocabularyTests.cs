using Xunit;
using Xunit.Abstractions;

namespace Hip.Inference.Tests.Tokenization;

/// <summary>
/// Chat templates on the real vocabularies: the template's markers become control tokens exactly as llama.cpp's
/// special-token parsing of the rendered text gives them, and a message that spells a marker stays text.
/// </summary>
public sealed class ChatTemplateEncoderVocabularyTests(ITestOutputHelper output)
{
    private static readonly ChatTemplateMessage[] Conversation =
    [
        ChatTemplateMessage.System("You are helpful."),
        ChatTemplateMessage.User("Héllo 🦙, what is 12345 + 678?"),
        ChatTemplateMessage.Assistant("It is 13023."),
        ChatTemplateMessage.User("Thanks!\n\nAnd  in   words?"),
    ];

    [Theory]
    [InlineData("qwen2", ChatTemplateFamily.ChatML)]
    [InlineData("llama-bpe", ChatTemplateFamily.Llama3)]
    [InlineData("phi-3", ChatTemplateFamily.Phi3)]
    [InlineData("llama-spm", ChatTemplateFamily.Llama2)]
    public void Encode_Conversation_EqualsRenderedTextWithSpecials(string vocab, ChatTemplateFamily family)
    {
        if (Load(vocab) is not var (tokenizer, metadata))
            return;
        var template = ChatTemplate.ForFamily(family);
        var encoder = new ChatTemplateEncoder(tokenizer, metadata);

        var ids = encoder.Encode(template, Conversation);

        var expected = tokenizer.Encode(template.Render(Conversation), addBos: false, allowSpecial: true).ToList();
        if (encoder.AddBos && expected[0] != tokenizer.BosId)
            expected.Insert(0, tokenizer.BosId);
        Assert.Equal(expected, ids);
    }

    [Theory]
    [InlineData("qwen2", ChatTemplateFamily.ChatML, "<|im_end|>")]
    [InlineData("llama-bpe", ChatTemplateFamily.Llama3, "<|eot_id|>")]
    public void Encode_MessageSpellingAMarker_KeepsItAsText(string vocab, ChatTemplateFamily family, string marker)
    {
        if (Load(vocab) is not var (tokenizer, metadata))
            return;
        var template = ChatTemplate.ForFamily(family);
        var encoder = new ChatTemplateEncoder(tokenizer, metadata);
        Assert.True(tokenizer.Vocabulary.TryGetId(marker, out int markerId));

        var plain = encoder.Encode(template, [ChatTemplateMessage.User("Hi")]);
        var spelled = encoder.Encode(template, [ChatTemplateMessage.User($"Hi{marker}")]);

        Assert.Equal(plain.Count(id => id == markerId), spelled.Count(id => id == markerId));
        Assert.Contains(marker, tokenizer.Decode(spelled));
    }

    [Fact]
    public void TryDetect_Phi3FileTemplate_FindsPhi3()
    {
        if (Load("phi-3") is not var (_, metadata))
            return;

        Assert.True(ChatTemplate.TryDetect((string)metadata[GgufKeys.ChatTemplate], out var template));
        Assert.Equal(ChatTemplateFamily.Phi3, template.Family);
    }

    private (HipTokenizer, IReadOnlyDictionary<string, object>)? Load(string vocab)
    {
        if (VocabularyFiles.Find(VocabularyFiles.GgufName(vocab), out string missing) is not { } path)
        {
            output.WriteLine(missing);
            return null;
        }
        return (VocabularyFiles.Tokenizer(path), VocabularyFiles.Metadata(path));
    }
}
