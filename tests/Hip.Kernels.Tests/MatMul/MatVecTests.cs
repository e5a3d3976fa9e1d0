using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class MatVecTests
{
    // fp32 accumulation of ≤ 100 products against a double reference: ~1e-5 relative, plus an absolute floor for
    // outputs that cancel to near zero. 16-bit weights are compared with their converted float values, so no extra.
    private const double Absolute = 1e-5, Relative = 1e-5;

    [Theory]
    [InlineData(KernelVariant.Grouped, WeightFormat.F32, 1, 37, 45)]    // decode: one row, n and m not multiples of the warp
    [InlineData(KernelVariant.Grouped, WeightFormat.F32, 3, 100, 7)]    // n above the warp: lanes stride
    [InlineData(KernelVariant.Grouped, WeightFormat.F16, 3, 37, 45)]
    [InlineData(KernelVariant.Grouped, WeightFormat.BF16, 3, 37, 45)]
    [InlineData(KernelVariant.PerThread, WeightFormat.F32, 3, 37, 45)]
    [InlineData(KernelVariant.PerThread, WeightFormat.F16, 3, 37, 45)]
    [InlineData(KernelVariant.PerThread, WeightFormat.BF16, 1, 100, 7)]
    public void MatVec_RandomWeights_MatchesReference(KernelVariant variant, WeightFormat format, int rows, int n, int m)
    {
        var x = TestData.Random(rows * n);
        using var w = TestData.RandomMatrix(format, m, n, out var wFloats);
        var expected = new float[rows * m];
        MatVec.Reference(x, wFloats, expected, rows, n, m);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
        TestGpu.KernelsOf(variant).MatVec(xBuffer.View, w, yBuffer.View, rows);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, yBuffer.GetAsArray1D(), Absolute, Relative, $"y ({variant}, {format})");
    }

    [Theory]
    [InlineData(2)]     // mat-vec everywhere
    [InlineData(9)]     // the tiled kernel on CUDA (TiledMatMulMinRows), mat-vec on the CPU accelerator
    public void MatMul_RowCount_MatchesReference(int rows)
    {
        const int n = 33, m = 9;
        var x = TestData.Random(rows * n);
        using var w = TestData.RandomMatrix(WeightFormat.F32, m, n, out var wFloats);
        var expected = new float[rows * m];
        MatVec.Reference(x, wFloats, expected, rows, n, m);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
        TestGpu.Kernels.MatMul(xBuffer.View, w, yBuffer.View, rows);   // dispatches by row count
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, yBuffer.GetAsArray1D(), Absolute, Relative, "y");
    }
}
