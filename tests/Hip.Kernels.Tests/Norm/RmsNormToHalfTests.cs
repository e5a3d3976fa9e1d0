using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class RmsNormToHalfTests
{
    // Kernel and reference compute the norm in float32 vs float64 (≈1e-6 apart) and then round to half: one rounding
    // step of difference at most, 2^-10 relative for fp16 and 2^-7 for bf16.
    [Theory]
    [InlineData(KernelVariant.Grouped, false)]
    [InlineData(KernelVariant.Grouped, true)]
    [InlineData(KernelVariant.PerThread, false)]
    [InlineData(KernelVariant.PerThread, true)]
    public void RmsNormToHalf_RandomRows_MatchesReference(KernelVariant variant, bool bf16)
    {
        const int rows = 3, dim = 100;
        const float eps = 1e-5f;
        var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
        var x = TestData.Random(rows * dim, scale: 2f);
        var weight = TestData.Random(dim);
        var expected = new ushort[rows * dim];
        RmsNormToHalf.Reference(x, weight, expected, dim, eps, bf16);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var weightBuffer = a.Allocate1D(weight);
        using var yBuffer = a.Allocate1D(new ushort[rows * dim]);
        TestGpu.KernelsOf(variant).RmsNormToHalf(xBuffer.View, weightBuffer.View, yBuffer.View, rows, dim, eps, bf16);
        TestGpu.ThrowIfFaulted();

        var actual = Array.ConvertAll(yBuffer.GetAsArray1D(), b => WeightBits.ToFloat(b, format));
        TestData.AssertClose(Array.ConvertAll(expected, b => WeightBits.ToFloat(b, format)), actual, 1e-6, bf16 ? 8e-3 : 1e-3, $"y ({format})");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConvertToHalf_RandomValues_MatchesHostRounding(bool bf16)
    {
        var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
        var x = TestData.Random(257, scale: 3f);
        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(new ushort[x.Length]);
        TestGpu.Kernels.ConvertToHalf(xBuffer.View, yBuffer.View, x.Length, bf16);
        TestGpu.ThrowIfFaulted();

        Assert.Equal(Array.ConvertAll(x, v => WeightBits.FromFloat(v, format)), yBuffer.GetAsArray1D());
    }
}
