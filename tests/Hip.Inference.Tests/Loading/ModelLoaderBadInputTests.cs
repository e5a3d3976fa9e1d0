using Xunit;

namespace Hip.Inference.Tests.Loading;

/// <summary>Targeted malformed GGUF files: each must give an InvalidDataException naming the file, the item and expected vs found.</summary>
public sealed class ModelLoaderBadInputTests : IDisposable
{
    private static readonly byte[] s_stories = File.ReadAllBytes(ModelLoaderTests.StoriesGguf);
    private static readonly GgufTestFile.Layout s_layout = GgufTestFile.Scan(s_stories);

    private readonly string _folder = Directory.CreateTempSubdirectory("hip-bad-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Loads <paramref name="bytes"/> from a temp file; returns the message, which must start with "Loading '{path}' failed".</summary>
    private string LoadFails(byte[] bytes)
    {
        string path = Path.Combine(_folder, "bad.gguf");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => HostModel.Read(path));
        Assert.StartsWith($"Loading '{path}' failed: {path}", e.Message);
        return e.Message;
    }

    private static byte[] Patched(Action<byte[]> patch)
    {
        var bytes = (byte[])s_stories.Clone();
        patch(bytes);
        return bytes;
    }

    private static byte[] Rewritten(
        Func<List<KeyValuePair<string, object>>, IEnumerable<KeyValuePair<string, object>>>? metadata = null,
        Func<List<GgufTestFile.Tensor>, IEnumerable<GgufTestFile.Tensor>>? tensors = null)
    {
        var (md, ts) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        return GgufTestFile.Write(metadata?.Invoke(md) ?? md, tensors?.Invoke(ts) ?? ts);
    }

    [Fact]
    public void Load_WrongMagic_ThrowsSayingNoGgufMagic()
    {
        string message = LoadFails(Patched(b => b[3] = (byte)'X'));

        Assert.Contains("no GGUF magic", message);
    }

    [Fact]
    public void ReadHeader_WrongMagic_ThrowsNamingMagic()
    {
        string path = Path.Combine(_folder, "magic.gguf");
        File.WriteAllBytes(path, Patched(b => b[3] = (byte)'X'));

        var e = Assert.Throws<InvalidDataException>(() => GgufReader.ReadHeader(path));

        Assert.Contains("magic is 0x58554747", e.Message);
        Assert.Contains("expected 0x46554747", e.Message);
    }

    [Fact]
    public void Load_GgufVersion1_ThrowsNamingVersion()
    {
        string message = LoadFails(Patched(b => GgufTestFile.PatchU32(b, 4, 1)));

        Assert.Contains("GGUF version 1", message);
    }

    [Fact]
    public void Load_AbsurdTensorCount_ThrowsWithCountAndBytesLeft()
    {
        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, s_layout.TensorCount, 1UL << 60)));

        Assert.Contains("tensor count is 1152921504606846976", message);
        Assert.Contains("bytes left", message);
    }

    [Fact]
    public void Load_AbsurdMetadataCount_ThrowsWithCount()
    {
        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, s_layout.KvCount, ulong.MaxValue)));

        Assert.Contains($"metadata count is {ulong.MaxValue}", message);
    }

    [Fact]
    public void Load_KeyLengthBeyondFile_ThrowsWithLengthAndBytesLeft()
    {
        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, s_layout.FirstKey, 1UL << 40)));

        Assert.Contains("metadata key #0 has length 1099511627776", message);
        Assert.Contains("bytes are left", message);
    }

    [Fact]
    public void Load_UnsupportedTensorType_ThrowsNamingTensorAndType()
    {
        var q = s_layout.Tensors["blk.0.attn_q.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU32(b, q.Type, (uint)GgmlType.IQ2_XXS)));

        Assert.Contains("tensor 'blk.0.attn_q.weight'", message);
        Assert.Contains("is IQ2_XXS, which is not supported; supported: ", message);
        foreach (string type in new[] { "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K" })
            Assert.Contains(type, message[message.IndexOf("supported: ", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void Load_KQuantRowNotAMultipleOf256_ThrowsNamingTensorAndBlockSize()
    {
        var q = s_layout.Tensors["blk.0.attn_q.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU32(b, q.Type, (uint)GgmlType.Q4_K)));

        Assert.Contains("tensor 'blk.0.attn_q.weight' is Q4_K with rows of 64 values, expected a multiple of its block size 256", message);
    }

    [Fact]
    public void Load_UnknownTensorType_ThrowsNamingTypeNumber()
    {
        var q = s_layout.Tensors["blk.0.attn_q.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU32(b, q.Type, 1000)));

        Assert.Contains("is type 1000, which is not supported", message);
    }

    [Fact]
    public void Load_TensorOffsetPastEndOfFile_ThrowsWithRangeAndFileSize()
    {
        var up = s_layout.Tensors["blk.4.ffn_up.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, up.Offset, (ulong)s_stories.Length / 32 * 32)));

        Assert.Contains("tensor 'blk.4.ffn_up.weight'", message);
        Assert.Contains($"the file is {s_stories.Length} bytes", message);
    }

    [Fact]
    public void Load_HugeTensorOffset_Throws()
    {
        var up = s_layout.Tensors["blk.4.ffn_up.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, up.Offset, ulong.MaxValue - 31)));

        Assert.Contains("blk.4.ffn_up.weight", message);
        Assert.Contains("past the end of the file", message);
    }

    [Fact]
    public void Load_MisalignedTensorOffset_ThrowsNamingAlignment()
    {
        var up = s_layout.Tensors["blk.4.ffn_up.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, up.Offset, 4)));

        Assert.Contains("data offset 4 is not a multiple of the alignment 32", message);
    }

    [Fact]
    public void Load_FiveDims_ThrowsNamingDimCount()
    {
        var q = s_layout.Tensors["blk.0.attn_q.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU32(b, q.DimCount, 5)));

        Assert.Contains("tensor 'blk.0.attn_q.weight' has 5 dims, expected 1 to 4", message);
    }

    [Fact]
    public void Load_DimsWhoseProductOverflows_Throws()
    {
        var embedding = s_layout.Tensors["token_embd.weight"];

        string message = LoadFails(Patched(b =>
        {
            GgufTestFile.PatchU64(b, embedding.FirstDim, 1UL << 40);
            GgufTestFile.PatchU64(b, embedding.FirstDim + 8, 1UL << 40);
        }));

        Assert.Contains("tensor 'token_embd.weight' dim 1 is 1099511627776", message);
    }

    [Fact]
    public void Load_ZeroDim_Throws()
    {
        var q = s_layout.Tensors["blk.0.attn_q.weight"];

        string message = LoadFails(Patched(b => GgufTestFile.PatchU64(b, q.FirstDim, 0)));

        Assert.Contains("tensor 'blk.0.attn_q.weight' dim 0 is 0", message);
    }

    [Fact]
    public void Load_MissingTensor_ThrowsNamingIt()
    {
        string message = LoadFails(Rewritten(tensors: ts => ts.Where(t => t.Name != "blk.3.attn_k.weight")));

        Assert.Contains("tensor 'blk.3.attn_k.weight' is missing (expected GGUF dims [64, 32]", message);
    }

    [Fact]
    public void Load_ShapeMismatch_ThrowsWithExpectedAndFound()
    {
        string message = LoadFails(Rewritten(tensors: ts => ts.Select(t =>
            t.Name == "blk.2.attn_k.weight" ? t with { Dims = [64, 64], Data = new byte[64 * 64 * 4] } : t)));

        Assert.Contains("tensor 'blk.2.attn_k.weight' has GGUF dims [64, 64], expected [64, 32]", message);
    }

    [Fact]
    public void Load_DuplicateTensorName_Throws()
    {
        string message = LoadFails(Rewritten(tensors: ts => ts.Append(ts[1])));

        Assert.Contains("tensor name 'blk.0.attn_norm.weight' appears twice", message);
    }

    [Fact]
    public void Load_DuplicateMetadataKey_Throws()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Append(new(GgufKeys.Name, "again"))));

        Assert.Contains("metadata key 'general.name' appears twice", message);
    }

    [Fact]
    public void Load_UnsupportedArchitecture_ThrowsNamingIt()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Select(kv =>
            kv.Key == GgufKeys.Architecture ? new(kv.Key, "falcon") : kv)));

        Assert.Contains("architecture 'falcon' is not supported; supported: llama, mistral, qwen2, phi3", message);
    }

    [Fact]
    public void Load_MissingRequiredKey_ThrowsNamingKey()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Where(kv => kv.Key != GgufKeys.BlockCount("llama"))));

        Assert.Contains("metadata 'llama.block_count' is missing", message);
    }

    [Fact]
    public void Load_KeyOfWrongType_ThrowsWithExpectedAndFound()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Select(kv =>
            kv.Key == GgufKeys.HeadCount("llama") ? new(kv.Key, "eight") : kv)));

        Assert.Contains("metadata 'llama.attention.head_count' is string, expected an integer", message);
    }

    [Fact]
    public void Load_HeadCountNotDividingDim_ThrowsFromValidate()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Select(kv =>
            kv.Key == GgufKeys.HeadCount("llama") ? new(kv.Key, 7u) : kv)));

        Assert.Contains("Dim 64 is not a multiple of HeadCount 7", message);
    }

    [Fact]
    public void Load_VocabSizeKeyDisagreesWithEmbedding_Throws()
    {
        string message = LoadFails(Rewritten(metadata: md => md.Select(kv =>
            kv.Key == GgufKeys.VocabSize("llama") ? new(kv.Key, 500u) : kv)));

        Assert.Contains("'llama.vocab_size' is 500, but 'token_embd.weight' has 512 rows", message);
    }

    [Fact]
    public void Load_DeeplyNestedArrays_Throws()
    {
        object value = new[] { 1 };
        for (int i = 0; i < 20; i++)
            value = new object[] { value };

        string message = LoadFails(Rewritten(metadata: md => md.Prepend(new("test.nested", value))));

        Assert.Contains("metadata 'test.nested'", message);
        Assert.Contains("nests arrays", message);
    }

    [Fact]
    public void Load_InvalidValueType_ThrowsNamingKey()
    {
        string message = LoadFails(Patched(b =>
        {
            long typeAt = s_layout.FirstKey + 8 + "general.architecture".Length;
            GgufTestFile.PatchU32(b, typeAt, 13);
        }));

        Assert.Contains("metadata 'general.architecture' has value type 13, expected 0 to 12", message);
    }
}
