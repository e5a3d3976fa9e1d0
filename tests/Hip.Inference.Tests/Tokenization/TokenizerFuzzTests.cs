using System.Diagnostics;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Tokenization;

/// <summary>
/// Malformed tokenizer files (issue 11 item 8): every failure is an <see cref="InvalidDataException"/> naming the file;
/// a mutation that still parses gives a tokenizer that encodes and decodes. Fixed seeds, bounded in time.
/// </summary>
public sealed class TokenizerFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(8);

    [Fact]
    public void FromSentencePieceModel_MutatedTok512_ThrowsOnlyInvalidDataNamingFile()
    {
        byte[] original = File.ReadAllBytes(HipTokenizerTests.Tok512Path);
        var random = new Random(811);
        var watch = Stopwatch.StartNew();
        int tried = 0, refused = 0;
        for (; tried < 400 && watch.Elapsed < Budget; tried++)
        {
            byte[] data = Mutate(original, random);
            try
            {
                var tokenizer = new HipTokenizer(Vocabulary.FromSentencePieceModel(data, "fuzz.model"));
                var ids = tokenizer.Encode("Once upon a time, 😀 héllo", addBos: true);
                tokenizer.Decode(ids);
                new StreamingDecoder(tokenizer, ids).Flush();
            }
            catch (InvalidDataException e)
            {
                refused++;
                Assert.Contains("fuzz.model", e.Message);
            }
        }
        Assert.True(tried >= 100, $"only {tried} mutations in {Budget}");
        Assert.InRange(refused, 1, tried - 1);   // both outcomes occur, so the test exercises both paths
    }

    [Fact]
    public void FromGguf_MutatedTokenizerMetadata_ThrowsOnlyInvalidDataNamingFile()
    {
        var original = GgufReader.ReadHeader(HipTokenizerTests.StoriesGguf).Metadata;
        string[] keys = [GgufKeys.TokenizerModel, GgufKeys.TokenizerPre, GgufKeys.Tokens, GgufKeys.Scores, GgufKeys.TokenType,
            GgufKeys.Merges, GgufKeys.BosTokenId, GgufKeys.EosTokenId, GgufKeys.UnknownTokenId, GgufKeys.AddBosToken, GgufKeys.AddSpacePrefix];
        object[] values = [
            "gpt2", "llama", "bert", "", "qwen2", "default", 7, -1, 100000, int.MaxValue, 1.5f, true,
            new string[0], new[] { "a", "a" }, new[] { "a b" }, new[] { "ab" }, new[] { "" }, new float[3], new int[512], new int[] { 9 },
        ];
        var random = new Random(812);
        var watch = Stopwatch.StartNew();
        int tried = 0, refused = 0;
        for (; tried < 300 && watch.Elapsed < Budget; tried++)
        {
            var metadata = new Dictionary<string, object>(original);
            for (int changes = random.Next(1, 3); changes > 0; changes--)
            {
                string key = keys[random.Next(keys.Length)];
                if (random.Next(4) == 0)
                    metadata.Remove(key);
                else
                    metadata[key] = key == GgufKeys.TokenType && random.Next(2) == 0
                        ? Enumerable.Range(0, 512).Select(_ => random.Next(-1, 8)).ToArray()
                        : values[random.Next(values.Length)];
            }
            try
            {
                var tokenizer = HipTokenizer.FromGguf(metadata, "fuzz.gguf");
                tokenizer.Decode(tokenizer.Encode("Once upon a time <s> 😀", addBos: true, allowSpecial: random.Next(2) == 0));
            }
            catch (InvalidDataException e)
            {
                refused++;
                Assert.Contains("fuzz.gguf", e.Message);
            }
        }
        Assert.True(tried >= 100, $"only {tried} mutations in {Budget}");
        Assert.InRange(refused, 1, tried - 1);
    }

    [Fact]
    public void FromSentencePieceModel_BosOutOfRange_ThrowsInvalidDataNamingField()
    {
        // trainer_spec (field 2) holding bos_id (field 41) = 9999, after one piece
        byte[] piece = [0x0A, 0x05, 0x0A, 0x01, (byte)'a', 0x18, 0x01];
        byte[] trainer = [0x12, 0x06, 0x18, 0x02, 0xC8, 0x02, 0x8F, 0x4E];

        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.FromSentencePieceModel([.. piece, .. trainer], "bos.model"));

        Assert.Contains("bos.model", e.Message);
        Assert.Contains("bos_id", e.Message);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] data = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:   // flip a few bytes
                for (int i = random.Next(1, 4); i > 0; i--)
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                return data;
            case 1:   // truncate
                return data[..random.Next(data.Length)];
            case 2:   // overwrite a run with a varint-looking value
                int at = random.Next(data.Length - 10);
                for (int i = 0; i < 10; i++)
                    data[at + i] = (byte)(i < 9 ? 0xFF : 0x01);
                return data;
            default:  // splice a slice of the file elsewhere
                int from = random.Next(data.Length), to = random.Next(data.Length), length = random.Next(1, 64);
                length = Math.Min(length, Math.Min(data.Length - from, data.Length - to));
                Array.Copy(original, from, data, to, length);
                return data;
        }
    }
}
