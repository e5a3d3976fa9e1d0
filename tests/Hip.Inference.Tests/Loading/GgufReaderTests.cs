using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Loading;

public sealed class GgufReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-gguf-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteFile(byte[] bytes, string name = "model.gguf")
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ReadHeader_TinyRandomLlama_ListsTwelveTensors()
    {
        var file = GgufReader.ReadHeader(RepoPaths.TinyRandomGguf);

        Assert.Equal(3, file.Version);
        Assert.Equal(18, file.Metadata.Count);
        Assert.Equal(12, file.Tensors.Count);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(724_416, file.DataOffset);
        Assert.Equal(1_750_560, file.FileBytes);
        var embedding = file.FindTensor("token_embd.weight")!;
        Assert.Equal([8L, 32000L], embedding.Dims);
        Assert.Equal(GgmlType.F16, embedding.Type);
        Assert.Equal(0, embedding.Offset);
        Assert.Equal(GgmlType.F32, file.FindTensor("output_norm.weight")!.Type);
    }

    [Fact]
    public void ReadHeader_Stories260K_ReadsTypedMetadata()
    {
        var md = GgufReader.ReadHeader(ModelLoaderTests.StoriesGguf).Metadata;

        Assert.Equal(23, md.Count);
        Assert.Equal("llama", md[GgufKeys.Architecture]);
        Assert.Equal(512u, md[GgufKeys.ContextLength("llama")]);
        Assert.Equal(1e-5f, md[GgufKeys.RmsEpsilon("llama")]);
        Assert.Equal(true, md[GgufKeys.AddBosToken]);
        var tokens = Assert.IsType<string[]>(md[GgufKeys.Tokens]);
        Assert.Equal(512, tokens.Length);
        Assert.Equal("<0x00>", tokens[3]);
        Assert.Equal("▁t", tokens[259]);
        Assert.Equal(512, Assert.IsType<float[]>(md[GgufKeys.Scores]).Length);
        Assert.Equal([2, 3, 3, 6], Assert.IsType<int[]>(md[GgufKeys.TokenType])[..4]);
    }

    [Fact]
    public void ReadHeader_AllThirteenValueTypesAndNestedArrays_RoundTrip()
    {
        var values = new Dictionary<string, object>
        {
            ["t.u8"] = (byte)200, ["t.i8"] = (sbyte)-100, ["t.u16"] = (ushort)60000, ["t.i16"] = (short)-30000,
            ["t.u32"] = 4_000_000_000u, ["t.i32"] = -2_000_000_000, ["t.f32"] = 1.5f, ["t.bool"] = true,
            ["t.string"] = "héllo", ["t.u64"] = ulong.MaxValue, ["t.i64"] = long.MinValue, ["t.f64"] = Math.PI,
            ["t.array.u16"] = new ushort[] { 1, 2, 65535 },
            ["t.array.bool"] = new[] { true, false },
            ["t.array.f64"] = new[] { 0.25, -1.0 },
            ["t.array.strings"] = new[] { "a", "", "ü" },
            ["t.array.nested"] = new object[] { new[] { 1, 2 }, new object[] { new[] { "deep" } }, Array.Empty<long>() },
        };
        string path = WriteFile(GgufTestFile.Write(values, []));

        var file = GgufReader.ReadHeader(path);

        Assert.Equal(values.Count, file.Metadata.Count);
        foreach (var (key, value) in values)
            Assert.Equal(value, file.Metadata[key]);
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Read_RewrittenStories260K_MatchesOriginal()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        string path = WriteFile(GgufTestFile.Write(metadata, tensors.AsEnumerable().Reverse(), alignment: 64));

        var rewritten = HostModel.Read(path);
        var original = HostModel.Read(ModelLoaderTests.StoriesGguf);

        Assert.Equal(original.Config, rewritten.Config);
        foreach (var tensor in original.Tensors)
            Assert.Equal(original.Floats(tensor.Name), rewritten.Floats(tensor.Name));
    }

    [Fact]
    public void Read_WithoutOptionalKeys_UsesDefaults()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(RepoPaths.TinyRandomGguf);
        string[] optional = [GgufKeys.HeadCountKv("llama"), GgufKeys.RopeFreqBase("llama"), GgufKeys.Alignment, GgufKeys.RopeDimensionCount("llama")];
        string path = WriteFile(GgufTestFile.Write(metadata.Where(kv => !optional.Contains(kv.Key)), tensors));

        var config = HostModel.Read(path).Config;

        Assert.Equal(config.HeadCount, config.KvHeadCount);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.Equal(32, GgufReader.ReadHeader(path).Alignment);
    }

    [Fact]
    public void Read_MistralArchitecture_ReadsMistralKeys()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        var renamed = metadata.Select(kv => kv.Key == GgufKeys.Architecture
            ? new(kv.Key, "mistral")
            : new KeyValuePair<string, object>(kv.Key.StartsWith("llama.", StringComparison.Ordinal) ? "mistral." + kv.Key[6..] : kv.Key, kv.Value));
        string path = WriteFile(GgufTestFile.Write(renamed, tensors));

        var model = HostModel.Read(path);

        Assert.Equal("mistral", model.Config.Architecture);
        Assert.Equal(HostModel.Read(ModelLoaderTests.StoriesGguf).Config with { Architecture = "mistral" }, model.Config);
    }

    [Fact]
    public void Load_Q8_0Matrices_DequantizesExactlyToQTimesD()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        var expected = new Dictionary<string, float[]>();
        var quantized = tensors.Select(t =>
        {
            if (t.Dims.Length < 2 || t.Dims[0] % 32 != 0)
                return t;   // norms and the 172-wide ffn_down rows stay F32
            var (data, values) = QuantizeQ8_0(Floats(t.Data));
            expected[t.Name] = values;
            return t with { Type = GgmlType.Q8_0, Data = data };
        }).ToList();
        string path = WriteFile(GgufTestFile.Write(metadata, quantized));

        var model = HostModel.Read(path);
        using var source = ModelLoader.Open(path);
        using var weights = ModelWeights.Load(source.File, source.Config, source.Tensors, TestGpu.Gpu.Accelerator, TestGpu.Kernels.Stream);

        Assert.Equal(1 + 5 * 6, expected.Count);   // token_embd; q, k, v, o, gate, up per layer
        foreach (var (name, values) in expected)
        {
            Assert.Equal(GgmlType.Q8_0, model.Tensor(name).Type);
            Assert.Equal(values, model.Floats(name));
        }
        Assert.Equal(expected["blk.0.attn_q.weight"], weights.Layers[0].Wq.ToFloats());
        var original = HostModel.Read(ModelLoaderTests.StoriesGguf).Floats("blk.0.attn_q.weight");
        TestData.AssertClose(original, weights.Layers[0].Wq.ToFloats(), absolute: 0.01, relative: 0.01, "Q8_0 Wq");
    }

    [Fact]
    public void Load_BF16Tensors_KeepsMatrixBitsAndConvertsNorms()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        var bf16 = tensors.Select(t => t with { Type = GgmlType.BF16, Data = ToBF16(Floats(t.Data)) }).ToList();
        string path = WriteFile(GgufTestFile.Write(metadata, bf16));

        using var source = ModelLoader.Open(path);
        using var weights = ModelWeights.Load(source.File, source.Config, source.Tensors, TestGpu.Gpu.Accelerator, TestGpu.Kernels.Stream);

        var wq = weights.Layers[0].Wq;
        Assert.Equal(WeightFormat.BF16, wq.Format);
        var expectedBits = MemoryMarshalBits(bf16.Single(t => t.Name == "blk.0.attn_q.weight").Data);
        Assert.Equal(expectedBits.Select(b => WeightBits.ToFloat(b, WeightFormat.BF16)), wq.ToFloats());
        var norm = new float[weights.Layers[0].AttentionNorm.Length];
        ILGPU.Runtime.ArrayViewExtensions.CopyToCPU(weights.Layers[0].AttentionNorm.View.BaseView, norm);
        var originalNorm = HostModel.Read(ModelLoaderTests.StoriesGguf).Floats("blk.0.attn_norm.weight");
        TestData.AssertClose(originalNorm, norm, absolute: 0, relative: 1.0 / 128, "BF16 attention norm");
    }

    private static float[] Floats(byte[] data)
    {
        var values = new float[data.Length / 4];
        Buffer.BlockCopy(data, 0, values, 0, data.Length);
        return values;
    }

    private static ushort[] MemoryMarshalBits(byte[] data)
    {
        var bits = new ushort[data.Length / 2];
        Buffer.BlockCopy(data, 0, bits, 0, data.Length);
        return bits;
    }

    private static byte[] ToBF16(float[] values)
    {
        var bits = values.Select(v => WeightBits.FromFloat(v, WeightFormat.BF16)).ToArray();
        var data = new byte[bits.Length * 2];
        Buffer.BlockCopy(bits, 0, data, 0, data.Length);
        return data;
    }

    /// <summary>ggml quantize_row_q8_0: d = max|x| / 127 stored as f16, q = round(x / d); returns the bytes and q * d.</summary>
    private static (byte[] Data, float[] Values) QuantizeQ8_0(float[] x)
    {
        var data = new byte[x.Length / 32 * 34];
        var values = new float[x.Length];
        for (int b = 0; b < x.Length / 32; b++)
        {
            float amax = 0;
            for (int i = 0; i < 32; i++)
                amax = Math.Max(amax, Math.Abs(x[b * 32 + i]));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            var half = (Half)d;
            BitConverter.TryWriteBytes(data.AsSpan(b * 34), BitConverter.HalfToUInt16Bits(half));
            for (int i = 0; i < 32; i++)
            {
                var q = (sbyte)Math.Round(x[b * 32 + i] * id);
                data[b * 34 + 2 + i] = (byte)q;
                values[b * 32 + i] = q * (float)half;
            }
        }
        return (data, values);
    }
}
