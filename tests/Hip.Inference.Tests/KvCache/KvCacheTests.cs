using Hip.Kernels;
using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class KvCacheTests
{
    [Fact]
    public void Constructor_SizeOverflowingLong_ThrowsNamingWhatToLower()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new KvCache(TestGpu.Kernels, layers: 1 << 20, kvHeads: 1 << 20, headDim: 1 << 20, capacity: int.MaxValue));
        Assert.Contains($"{int.MaxValue} positions", error.Message);
        Assert.Contains("ContextLength", error.Message);
    }

    [Fact]
    public void RequiredBytes_MoreThanTheDeviceHas_ThrowsWithNeededAndAvailableBytes()
    {
        // The CPU accelerator reports practically unlimited memory, so the check is exercised with a stated 24 GiB:
        // 2^31 − 64 positions (2^25 − 1 blocks of 64) of 64 layers × 64 KV heads × 128 in F32, K and V: about 2^57 bytes
        const long available = 24L << 30, needed = 2L * ((1 << 25) - 1) * 64 * 64 * 128 * 64 * 4;
        var error = Assert.Throws<InvalidOperationException>(() =>
            KvCache.RequiredBytes(layers: 64, kvHeads: 64, headDim: 128, capacity: int.MaxValue - 63, KvPrecision.F32, available));
        Assert.Contains($"needs {needed} bytes", error.Message);
        Assert.Contains($"device has {available} bytes", error.Message);
        Assert.Contains("KvPrecision.F16", error.Message);
        Assert.Equal(needed / 2, KvCache.RequiredBytes(64, 64, 128, int.MaxValue - 63, KvPrecision.F16, long.MaxValue));
    }

    [Theory]
    [InlineData(KvPrecision.F32)]
    [InlineData(KvPrecision.F16)]
    public void CopyPrefixFrom_RandomRows_CopiesWholeBlocksAndSetsLengthAndDevicePosition(KvPrecision precision)
    {
        const int layers = 2, kvHeads = 2, headDim = 8, capacity = 200, filled = 150, prefix = 70;
        var kernels = TestGpu.Kernels;
        using var source = new KvCache(kernels, layers, kvHeads, headDim, capacity, precision);
        using var target = new KvCache(kernels, layers, kvHeads, headDim, capacity, precision);
        var a = kernels.Accelerator;
        using var k = a.Allocate1D(TestData.Random(filled * kvHeads * headDim, 1f, seed: 1));
        using var v = a.Allocate1D(TestData.Random(filled * kvHeads * headDim, 1f, seed: 2));
        for (int l = 0; l < layers; l++)
            kernels.KvStore(k.View, v.View, source.Layer(l), filled, kvHeads, headDim, 0);
        source.Length = filled;

        target.CopyPrefixFrom(source, prefix);
        target.SyncPosition();
        TestGpu.ThrowIfFaulted();

        Assert.Equal(prefix, target.Length);
        Assert.Equal(prefix, ((ArrayView1D<int, Stride1D.Dense>)target.Position).GetAsArray1D()[0]);
        for (int l = 0; l < layers; l++)
        {
            float[] expectedK = Keys(source.Layer(l)), actualK = Keys(target.Layer(l));
            for (int g = 0; g < kvHeads; g++)
                for (int t = 0; t < prefix; t++)
                {
                    int row = (int)(KvLayout.Row(t, g, kvHeads) * headDim);
                    Assert.Equal(expectedK.AsSpan(row, headDim).ToArray(), actualK.AsSpan(row, headDim).ToArray());
                }
        }
    }

    [Fact]
    public void CopyPrefixFrom_OtherPrecision_ThrowsNamingBoth()
    {
        using var source = new KvCache(TestGpu.Kernels, 1, 1, 8, 64, KvPrecision.F32);
        using var target = new KvCache(TestGpu.Kernels, 1, 1, 8, 64, KvPrecision.F16);
        var error = Assert.Throws<ArgumentException>(() => target.CopyPrefixFrom(source, 0));
        Assert.Contains("F32", error.Message);
        Assert.Contains("F16", error.Message);
    }

    private static float[] Keys(KvLayer layer) => layer.Precision == KvPrecision.F32
        ? ((ArrayView1D<float, Stride1D.Dense>)layer.KeysF32).GetAsArray1D()
        : Array.ConvertAll(((ArrayView1D<ushort, Stride1D.Dense>)layer.KeysF16).GetAsArray1D(), KvF16Element.FromBits);
}
