using System.Text;
using Xunit;

namespace Hip.Inference.Tests.Tokenization;

public sealed class StreamingDecoderTests
{
    private static HipTokenizer Tok512 => HipTokenizerTests.Tok512;

    /// <summary>Streams <paramref name="generated"/> after <paramref name="prompt"/>; returns the deltas and the flushed rest.</summary>
    private static (List<string> Deltas, string Flushed) Stream(HipTokenizer tokenizer, IReadOnlyList<int> prompt, IEnumerable<int> generated)
    {
        var decoder = new StreamingDecoder(tokenizer, prompt);
        var deltas = generated.Select(decoder.Append).ToList();
        return (deltas, decoder.Flush());
    }

    private static string Expected(HipTokenizer tokenizer, IReadOnlyList<int> prompt, IEnumerable<int> generated)
    {
        string promptText = tokenizer.Decode(prompt);
        string all = tokenizer.Decode(prompt.Concat(generated));
        Assert.StartsWith(promptText, all);
        return all[promptText.Length..];
    }

    private static void AssertStreamsLikeDecode(HipTokenizer tokenizer, string prompt, string continuation)
    {
        var promptIds = tokenizer.Encode(prompt, addBos: true);
        var allIds = tokenizer.Encode(prompt + continuation, addBos: true);
        Assert.Equal(promptIds, allIds.Take(promptIds.Count));   // the split falls on a token boundary
        var generated = allIds.Skip(promptIds.Count).ToList();

        var (deltas, flushed) = Stream(tokenizer, promptIds, generated);

        Assert.Equal(Expected(tokenizer, promptIds, generated), string.Concat(deltas) + flushed);
        Assert.Equal(continuation, string.Concat(deltas) + flushed);
        Assert.Equal("", flushed);
    }

    [Theory]
    [InlineData("Once upon a time", ", there was a little girl named Lily.")]
    [InlineData("héllo", " wörld 😀 and more words")]
    [InlineData("Lily said", " 日本語 🎉🎉 ok")]
    public void Append_Tok512PromptAndContinuation_MatchesDecodeDifference(string prompt, string continuation)
    {
        AssertStreamsLikeDecode(Tok512, prompt, continuation);
    }

    [Theory]
    [InlineData("Once upon a time", ", there was a little girl named Lily.")]
    [InlineData("héllo", " wörld 😀 and more words")]
    public void Append_Llama2PromptAndContinuation_MatchesDecodeDifference(string prompt, string continuation)
    {
        AssertStreamsLikeDecode(HipTokenizerTests.Llama2, prompt, continuation);
    }

    [Fact]
    public void Append_FirstTokenAfterPrompt_KeepsItsLeadingSpace()
    {
        var prompt = Tok512.Encode("Once upon a", addBos: true);
        int time = Tok512.Encode(" time", addBos: false)[^1];   // "▁time"

        var decoder = new StreamingDecoder(Tok512, prompt);

        Assert.Equal(" time", decoder.Append(time));
    }

    [Fact]
    public void Append_AfterBosOnly_DropsDummyPrefixSpaceLikeDecode()
    {
        var ids = Tok512.Encode("Once upon", addBos: true);

        var (deltas, flushed) = Stream(Tok512, [Tok512.BosId], ids.Skip(1));

        Assert.Equal(["Once", " upon"], deltas);
        Assert.Equal("", flushed);
    }

    [Fact]
    public void Append_ByteFallbackEmoji_HoldsBackUntilComplete()
    {
        var prompt = Tok512.Encode("Hi", addBos: true);
        int[] emoji = [0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3];   // 😀 as byte tokens

        var (deltas, flushed) = Stream(Tok512, prompt, emoji);

        Assert.Equal(["", "", "", "😀"], deltas);
        Assert.Equal("", flushed);
    }

    [Fact]
    public void Flush_IncompleteUtf8_ReturnsReplacementCharacter()
    {
        var prompt = Tok512.Encode("Hi", addBos: true);

        var (deltas, flushed) = Stream(Tok512, prompt, [0xF0 + 3, 0x9F + 3]);

        Assert.Equal(["", ""], deltas);
        Assert.Equal(Expected(Tok512, prompt, [0xF0 + 3, 0x9F + 3]), flushed);
        Assert.Contains('\uFFFD', flushed);
    }

    [Fact]
    public void Append_EndOfSequence_GivesNoText()
    {
        var prompt = Tok512.Encode("Hi", addBos: true);

        var (deltas, flushed) = Stream(Tok512, prompt, [Tok512.EosId]);

        Assert.Equal([""], deltas);
        Assert.Equal("", flushed);
    }

    [Fact]
    public void Append_RandomIds_ConcatenationMatchesDecodeDifference()
    {
        // random mixes of text pieces, byte tokens (valid and broken UTF-8) and specials after a real prompt
        var random = new Random(1234);
        var prompt = Tok512.Encode("Once upon a time", addBos: true);
        for (int trial = 0; trial < 200; trial++)
        {
            var generated = new List<int>();
            int length = random.Next(1, 40);
            while (generated.Count < length)
            {
                double kind = random.NextDouble();
                if (kind < 0.3)
                    generated.AddRange(Encoding.UTF8.GetBytes(RandomChar(random)).Select(b => b + 3));
                else if (kind < 0.4)
                    generated.Add(random.Next(0x80, 0x100) + 3);   // a lone high byte
                else if (kind < 0.45)
                    generated.Add(random.Next(0, 3));              // unk, bos, eos
                else
                    generated.Add(random.Next(3, 512));
            }

            var (deltas, flushed) = Stream(Tok512, prompt, generated);

            Assert.Equal(Expected(Tok512, prompt, generated), string.Concat(deltas) + flushed);
            Assert.DoesNotContain(deltas, d => d.EndsWith('\uFFFD'));
        }
    }

    [Fact]
    public void Append_LongGeneration_StaysCorrect()
    {
        string story = string.Concat(Enumerable.Repeat("Lily saw a big red ball. She was very happy! ", 40));
        AssertStreamsLikeDecode(Tok512, "Once upon a time", " " + story.TrimEnd());
    }

    private static string RandomChar(Random random) => random.Next(3) switch
    {
        0 => char.ConvertFromUtf32(random.Next(0x80, 0x800)),
        1 => char.ConvertFromUtf32(random.Next(0x4E00, 0x9FFF)),
        _ => char.ConvertFromUtf32(random.Next(0x1F600, 0x1F64F)),
    };
}
