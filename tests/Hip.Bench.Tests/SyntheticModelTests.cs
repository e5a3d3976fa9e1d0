using Hip.Inference;
using Xunit;

namespace Hip.Bench.Tests;

public sealed class SyntheticModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-synthetic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("llama-3.1-8b", 8_030_261_248L + 64)]   // Hugging Face's count, plus rope_freqs [64]
    [InlineData("llama-3.2-1b", 1_235_814_400L + 32)]   // tied output; rope_freqs [32]
    [InlineData("qwen2.5-7b", 7_615_616_512L)]          // with q/k/v biases
    public void ParameterCount_PublishedShapes_MatchesThePublishedModel(string name, long parameters)
    {
        Assert.Equal(parameters, SyntheticShape.Named(name).ParameterCount);
    }

    [Fact]
    public void Tensors_Q4KM_FollowsLlamaCppMix()
    {
        var types = SyntheticShape.Named("llama-3.1-8b").Tensors(SyntheticWeightType.Named("q4_k_m")).ToDictionary(t => t.Name, t => t.Type);

        Assert.Equal(GgmlType.Q4_K, types["token_embd.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["output.weight"]);
        Assert.Equal(GgmlType.F32, types["blk.5.attn_norm.weight"]);
        Assert.Equal(GgmlType.F32, types["rope_freqs.weight"]);
        foreach (int layer in new[] { 0, 3, 6, 9, 27, 28, 31 })   // first and last eighth, and every third between
        {
            Assert.Equal(GgmlType.Q6_K, types[$"blk.{layer}.attn_v.weight"]);
            Assert.Equal(GgmlType.Q6_K, types[$"blk.{layer}.ffn_down.weight"]);
        }
        foreach (int layer in new[] { 4, 5, 7, 26 })
        {
            Assert.Equal(GgmlType.Q4_K, types[$"blk.{layer}.attn_v.weight"]);
            Assert.Equal(GgmlType.Q4_K, types[$"blk.{layer}.ffn_down.weight"]);
        }
        Assert.Equal(GgmlType.Q4_K, types["blk.0.attn_q.weight"]);
        var q5 = SyntheticShape.Named("llama-3.1-8b").Tensors(SyntheticWeightType.Named("q5_k_m")).ToDictionary(t => t.Name, t => t.Type);
        Assert.Equal(GgmlType.Q5_K, q5["token_embd.weight"]);   // Q5_K_M: the same mix on Q5_K
        Assert.Equal(GgmlType.Q6_K, q5["output.weight"]);
        Assert.Equal(GgmlType.Q6_K, q5["blk.0.attn_v.weight"]);
        Assert.Equal(GgmlType.Q5_K, q5["blk.4.ffn_down.weight"]);
        Assert.Equal(GgmlType.Q5_K, q5["blk.0.attn_q.weight"]);
        var tied = SyntheticShape.Named("llama-3.2-1b").Tensors(SyntheticWeightType.Named("q4_k_m")).ToDictionary(t => t.Name, t => t.Type);
        Assert.Equal(GgmlType.Q6_K, tied["token_embd.weight"]);
        Assert.False(tied.ContainsKey("output.weight"));
        var qwen = SyntheticShape.Named("qwen2.5-7b").Tensors(SyntheticWeightType.F16).ToDictionary(t => t.Name, t => t);
        Assert.Equal([512L], qwen["blk.0.attn_k.bias"].Dims);   // 4 KV heads of 128
        Assert.Equal([3584L, 18944L], qwen["blk.0.ffn_gate.weight"].Dims);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void FillBlock_Dequantized_IsFiniteWithWeightLikeSpread(GgmlType type)
    {
        int bytes = SyntheticModel.BlockBytes(type);
        var random = new Random(3);
        var values = new List<float>();
        var block = new byte[bytes];
        for (int i = 0; i < 4096 * 2 / bytes + 64; i++)
        {
            SyntheticModel.FillBlock(type, block, random);
            values.AddRange(Dequantize(type, block));
        }
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
        double mean = values.Average(v => (double)v);
        double sd = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        // weights of standard deviation about 0.02 centred on 0 (SyntheticModel.WeightScale)
        Assert.InRange(Math.Abs(mean), 0, 0.003);
        Assert.InRange(sd, 0.012, 0.03);
    }

    [Fact]
    public void Ensure_TinyF16_LoadsGeneratesAndIsReusedUntilDamaged()
    {
        var shape = SyntheticShape.Named("tiny");
        var (path, reused, _) = SyntheticModel.Ensure(shape, SyntheticWeightType.F16, _folder, TextWriter.Null);
        Assert.False(reused);
        Assert.True(SyntheticModel.Ensure(shape, SyntheticWeightType.F16, _folder, TextWriter.Null).Reused);

        var header = GgufReader.ReadHeader(path);
        Assert.Equal(shape.Tensors(SyntheticWeightType.F16).Select(t => t.Name), header.Tensors.Select(t => t.Name));
        var tokens = (string[])header.Metadata[GgufKeys.Tokens];
        Assert.Equal(shape.VocabSize, tokens.Distinct().Count());
        Assert.Equal("<0x41>", tokens[3 + 0x41]);

        using (var engine = InferenceEngine.Load(path, new EngineOptions { ContextLength = 16, Device = Hip.Kernels.DeviceKind.Cpu }))
        {
            var ids = new List<int>();
            var greedy = SamplingParams.Greedy with { MaxTokens = 2, StopAtEndOfSequence = false };
            foreach (int id in engine.GenerateAsync(engine.Tokenizer.Encode("ab", addBos: true), greedy).ToBlockingEnumerable())
                ids.Add(id);
            Assert.Equal(2, ids.Count);
            Assert.All(ids, id => Assert.InRange(id, 0, shape.VocabSize - 1));
        }

        using (var file = File.OpenWrite(path))
            file.SetLength(file.Length - 1);
        Assert.False(SyntheticModel.Ensure(shape, SyntheticWeightType.F16, _folder, TextWriter.Null).Reused);
    }

    // The formats of REAL-MODELS.md §3, as plain loops.
    private static float[] Dequantize(GgmlType type, byte[] b)
    {
        static float H(byte[] b, int at) => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(b, at));
        switch (type)
        {
            case GgmlType.F16: return [H(b, 0)];
            case GgmlType.BF16: return [BitConverter.UInt32BitsToSingle((uint)BitConverter.ToUInt16(b, 0) << 16)];
            case GgmlType.Q8_0: return Enumerable.Range(0, 32).Select(j => H(b, 0) * (sbyte)b[2 + j]).ToArray();
            case GgmlType.Q4_K:
            case GgmlType.Q5_K:
            {
                bool five = type == GgmlType.Q5_K;
                int qs = five ? 48 : 16;   // Q5_K: qh[32] at 16, bit j of qh[l] adds 16 to value l of sub-block j
                float d = H(b, 0), dmin = H(b, 2);
                var s = b.AsSpan(4, 12).ToArray();
                var x = new float[256];
                for (int j = 0; j < 8; j++)
                {
                    int sc = j < 4 ? s[j] & 63 : (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
                    int m = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                    for (int l = 0; l < 32; l++)
                    {
                        int q = b[qs + 32 * (j / 2) + l];
                        q = j % 2 == 0 ? q & 15 : q >> 4;
                        if (five)
                            q += ((b[16 + l] >> j) & 1) << 4;
                        x[32 * j + l] = d * sc * q - dmin * m;
                    }
                }
                return x;
            }
            case GgmlType.Q6_K:
            {
                float d = H(b, 208);
                var x = new float[256];
                for (int h = 0; h < 2; h++)
                    for (int l = 0; l < 32; l++)
                    {
                        int L0 = b[64 * h + l], L1 = b[64 * h + l + 32], Hb = b[128 + 32 * h + l], s = l / 16;
                        sbyte S(int i) => (sbyte)b[192 + 8 * h + i];
                        x[128 * h + l] = d * S(s) * ((L0 & 15 | ((Hb >> 0) & 3) << 4) - 32);
                        x[128 * h + l + 32] = d * S(s + 2) * ((L1 & 15 | ((Hb >> 2) & 3) << 4) - 32);
                        x[128 * h + l + 64] = d * S(s + 4) * ((L0 >> 4 | ((Hb >> 4) & 3) << 4) - 32);
                        x[128 * h + l + 96] = d * S(s + 6) * ((L1 >> 4 | ((Hb >> 6) & 3) << 4) - 32);
                    }
                return x;
            }
            default: throw new NotSupportedException(type.ToString());
        }
    }
}
