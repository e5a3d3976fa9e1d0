using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class MatMulTiledTests
{
    // fp32 accumulation of ≤ 70 products against a double reference: ~1e-5 relative, plus an absolute floor for
    // outputs that cancel to near zero. 16-bit weights are compared with their converted float values, so no extra.
    private const double Absolute = 1e-5, Relative = 1e-5;

    [Theory]
    [InlineData(WeightFormat.F32, 3, 37, 45)]     // partial tiles on every side
    [InlineData(WeightFormat.F32, 37, 70, 33)]    // two row tiles, three k tiles, two column tiles
    [InlineData(WeightFormat.F16, 3, 37, 45)]
    [InlineData(WeightFormat.BF16, 3, 37, 45)]
    public void MatMulTiled_RandomWeights_MatchesReference(WeightFormat format, int rows, int n, int m)
    {
        var x = TestData.Random(rows * n);
        using var w = TestData.RandomMatrix(format, m, n, out var wFloats);
        var expected = new float[rows * m];
        MatVec.Reference(x, wFloats, expected, rows, n, m);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
        TestGpu.Kernels.MatMulTiled(xBuffer.View, w, yBuffer.View, rows);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, yBuffer.GetAsArray1D(), Absolute, Relative, $"y ({format})");
    }
}
