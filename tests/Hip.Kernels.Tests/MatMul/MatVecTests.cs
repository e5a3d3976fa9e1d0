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
        using var w = CreateMatrix(format, m, n, out var wFloats);
        var expected = new float[rows * m];
        MatVec.Reference(x, wFloats, expected, rows, n, m);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(Poison(rows * m));
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
        using var w = CreateMatrix(WeightFormat.F32, m, n, out var wFloats);
        var expected = new float[rows * m];
        MatVec.Reference(x, wFloats, expected, rows, n, m);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(Poison(rows * m));
        TestGpu.Kernels.MatMul(xBuffer.View, w, yBuffer.View, rows);   // dispatches by row count
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, yBuffer.GetAsArray1D(), Absolute, Relative, "y");
    }

    // Random [rows, cols] weights in the given format; the float values the device will read come back in asFloats.
    private static DeviceMatrix CreateMatrix(WeightFormat format, int rows, int cols, out float[] asFloats)
    {
        var a = TestGpu.Kernels.Accelerator;
        var values = TestData.Random(rows * cols);
        if (format == WeightFormat.F32)
        {
            asFloats = values;
            return DeviceMatrix.FromFloats(a, values, rows, cols);
        }
        var bits = values.Select(v => WeightBits.FromFloat(v, format)).ToArray();
        asFloats = bits.Select(b => WeightBits.ToFloat(b, format)).ToArray();
        return DeviceMatrix.FromBits(a, bits, rows, cols, format);
    }

    private static float[] Poison(int count)
    {
        var values = new float[count];
        Array.Fill(values, float.NaN);
        return values;
    }
}
