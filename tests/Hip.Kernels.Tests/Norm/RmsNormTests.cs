using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class RmsNormTests
{
    // fp32 sum of squares and rsqrt against a double reference: ~1e-5 relative, plus a small absolute floor.
    private const double Absolute = 1e-6, Relative = 1e-5;

    [Theory]
    [InlineData(KernelVariant.Grouped, 3, 37)]     // dim below one group: idle lanes add zero
    [InlineData(KernelVariant.Grouped, 2, 100)]    // dim not a multiple of the group: strided tail
    [InlineData(KernelVariant.Grouped, 1, 256)]
    [InlineData(KernelVariant.PerThread, 3, 37)]
    [InlineData(KernelVariant.PerThread, 2, 100)]
    public void RmsNorm_RandomRows_MatchesReference(KernelVariant variant, int rows, int dim)
    {
        const float eps = 1e-5f;
        var x = TestData.Random(rows * dim, scale: 2f);
        var weight = TestData.Random(dim);
        var expected = new float[rows * dim];
        RmsNorm.Reference(x, weight, expected, dim, eps);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var weightBuffer = a.Allocate1D(weight);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * dim));
        TestGpu.KernelsOf(variant).RmsNorm(xBuffer.View, weightBuffer.View, yBuffer.View, rows, dim, eps);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, yBuffer.GetAsArray1D(), Absolute, Relative, "y");
    }

    [Theory]
    [InlineData(KernelVariant.Grouped)]
    [InlineData(KernelVariant.PerThread)]
    public void RmsNorm_OutputAliasesInput_MatchesReference(KernelVariant variant)
    {
        const int rows = 3, dim = 45;
        const float eps = 1e-6f;
        var x = TestData.Random(rows * dim);
        var weight = TestData.Random(dim);
        var expected = new float[rows * dim];
        RmsNorm.Reference(x, weight, expected, dim, eps);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var weightBuffer = a.Allocate1D(weight);
        TestGpu.KernelsOf(variant).RmsNorm(xBuffer.View, weightBuffer.View, xBuffer.View, rows, dim, eps);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, xBuffer.GetAsArray1D(), Absolute, Relative, "x (in place)");
    }
}
