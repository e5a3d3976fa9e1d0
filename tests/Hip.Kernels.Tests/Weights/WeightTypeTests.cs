using Hip.TestSupport;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class WeightTypeTests
{
    [Theory]
    [MemberData(nameof(WeightTestData.ConvertedTypes), MemberType = typeof(WeightTestData))]
    public void Dequantize_RandomBlocks_BitIdenticalToGgml(WeightType type)
    {
        var info = WeightTypes.Get(type);
        Assert.Equal((info.ValuesPerBlock, info.BytesPerBlock), ((int)GgmlOracle.BlockSize(type).Values, (int)GgmlOracle.BlockSize(type).Bytes));
        Assert.Equal(info.Name, GgmlOracle.Name(type));

        int cols = 1024;   // 4 K-quant blocks, 32 small-blocks
        var blocks = WeightTestData.RandomBlocks(type, 3, cols, Random.Shared);
        var ours = new float[3 * cols];
        var ggml = new float[3 * cols];
        info.Dequantize(blocks, ours);
        GgmlOracle.ToFloat(type, blocks, ggml);
        for (int i = 0; i < ours.Length; i++)
            if (BitConverter.SingleToUInt32Bits(ours[i]) != BitConverter.SingleToUInt32Bits(ggml[i]))
                Assert.Fail($"{info.Name}: value {i} (block {i / info.ValuesPerBlock}) is {ours[i]:R}, ggml gives {ggml[i]:R}");
    }

    // Bounds on RMS error / RMS value for uniform random weights in [-1, 1): from the step sizes (uniform
    // rounding error = step / sqrt(12)): q8_0 step amax/127 -> 0.5 %; q4_0 amax/8 -> 7 %; q5_0 -> 3.6 %; q4_K 15 levels
    // over each sub-block's range with a 6-bit scale rounded up -> ~8 %; q5_K 31 levels -> ~4 %; q6_K 63 levels -> 2 %.
    [Theory]
    [InlineData(WeightType.F16, 0.0005)]
    [InlineData(WeightType.BF16, 0.004)]
    [InlineData(WeightType.Q8_0, 0.006)]
    [InlineData(WeightType.Q4_0, 0.09)]
    [InlineData(WeightType.Q5_0, 0.045)]
    [InlineData(WeightType.Q4_K, 0.10)]
    [InlineData(WeightType.Q5_K, 0.05)]
    [InlineData(WeightType.Q6_K, 0.025)]
    public void Quantize_RoundTrip_ErrorWithinBound(WeightType type, double bound)
    {
        var info = WeightTypes.Get(type);
        var values = TestData.Random(2048);
        var blocks = new byte[info.BytesPerRow(values.Length)];
        info.Quantize(values, blocks);
        var back = new float[values.Length];
        GgmlOracle.ToFloat(type, blocks, back);   // ggml reads our blocks: they are valid blocks
        double error = TestData.RelativeError(values, back);
        Assert.True(error <= bound, $"{info.Name}: relative RMS error {error:F4} > {bound}");
        Assert.True(error > 0 || type == WeightType.F16, $"{info.Name}: no rounding at all is suspicious");
    }

    [Theory]
    [InlineData(WeightType.Q4_K, 576)]
    [InlineData(WeightType.Q6_K, 896)]
    [InlineData(WeightType.Q8_0, 100)]
    public void BytesPerRow_RowNotWholeBlocks_ThrowsNamingType(WeightType type, int cols)
    {
        var info = WeightTypes.Get(type);
        var e = Assert.Throws<InvalidDataException>(() => info.BytesPerRow(cols));
        Assert.Contains(info.Name, e.Message);
        Assert.Contains(cols.ToString(), e.Message);
    }

    [Fact]
    public void Get_UnsupportedType_ThrowsNamingIt()
    {
        var e = Assert.Throws<NotSupportedException>(() => WeightTypes.Get((WeightType)10));
        Assert.Contains("ggml type 10", e.Message);
    }

    [Fact]
    public void Dequantize_TruncatedBlocks_Throws()
    {
        var info = WeightTypes.Get(WeightType.Q6_K);
        Assert.Throws<InvalidDataException>(() => info.Dequantize(new byte[209], new float[256]));
    }
}
