using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class GemmTcTests
{
    // The inputs are the half values themselves (bits in, float64 reference over the same bits), so only the float32
    // accumulation of k products differs: for k ≤ 64 and |x|, |w| ≤ 1, 1e-4 absolute plus 1e-4 relative.
    private const double Absolute = 1e-4, Relative = 1e-4;

    // rows 37, m 40: partial tiles in both directions (zero-filled loads, guarded stores); k 48: one full 32-step and
    // a half-filled one, so both shared-memory stages; k 16: one half-filled step. One format per layout on the CPU
    // (each 32-step costs ~15 s there: the emulation runs every mma as 16 warp shuffles of OS threads); both formats at
    // multi-tile shapes in CuBlasGemmTests on CUDA.
    [Theory]
    [InlineData(GemmBackend.Mma, true, 37, 48, 40)]
    [InlineData(GemmBackend.MmaNarrow, false, 37, 16, 40)]
    public void MatMulHalf_Mma_MatchesReference(GemmBackend backend, bool bf16, int rows, int k, int m) =>
        Check(backend, bf16, rows, k, m);

    [Theory]
    [InlineData(false, 5, 24, 7)]    // k not a multiple of 16: fine without tensor cores
    [InlineData(true, 9, 64, 33)]
    public void MatMulHalf_Simt_MatchesReference(bool bf16, int rows, int k, int m) =>
        Check(GemmBackend.Simt, bf16, rows, k, m);

    [Fact]
    public void ToFloat16_EdgeValues_MatchSystemHalf()
    {
        float[] values = [0f, -0f, 1f, 65504f, 65519.99f, 65520f, 1e6f, 6.1e-5f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 3e-6f, 1.00048828125f,
            1.000732421875f, float.PositiveInfinity, float.NegativeInfinity, -3.3e-5f];
        foreach (float v in values.Concat(TestData.Random(1000, scale: 70000f)).Concat(TestData.Random(1000, scale: 1e-4f)))
            Assert.True(BitConverter.HalfToUInt16Bits((System.Half)v) == HalfConvert.ToFloat16(v), $"ToFloat16({v:R})");
        Assert.True(System.Half.IsNaN(BitConverter.UInt16BitsToHalf(HalfConvert.ToFloat16(float.NaN))));
    }

    [Fact]
    public void MatMulHalf_MmaWithKNotMultipleOf16_Throws()
    {
        var a = TestGpu.Kernels.Accelerator;
        using var x = a.Allocate1D<ushort>(2 * 24);
        using var w = a.Allocate1D<ushort>(3 * 24);
        using var y = a.Allocate1D<float>(2 * 3);
        var e = Assert.Throws<ArgumentException>(() => TestGpu.Kernels.MatMulHalf(x.View, w.View, y.View, 2, 24, 3, false, GemmBackend.Mma));
        Assert.Contains("multiple of 16", e.Message);
    }

    [Fact]
    public void MatMulHalf_BufferTooSmall_Throws()
    {
        var a = TestGpu.Kernels.Accelerator;
        using var x = a.Allocate1D<ushort>(2 * 32);
        using var w = a.Allocate1D<ushort>(3 * 32);
        using var y = a.Allocate1D<float>(5);
        var e = Assert.Throws<ArgumentException>(() => TestGpu.Kernels.MatMulHalf(x.View, w.View, y.View, 2, 32, 3, false));
        Assert.Contains("y 5 (needs 6)", e.Message);
    }

    [Theory]
    [InlineData(null, GemmBackend.Auto)]
    [InlineData(" CuBLAS ", GemmBackend.CuBlas)]
    [InlineData("mma", GemmBackend.Mma)]
    [InlineData("mma-narrow", GemmBackend.MmaNarrow)]
    [InlineData("simt", GemmBackend.Simt)]
    public void ParseGemmVariable_KnownValues_Parse(string? value, GemmBackend expected) =>
        Assert.Equal(expected, KernelSet.ParseGemmVariable(value));

    [Fact]
    public void ParseGemmVariable_Unknown_ThrowsNamingTheChoices() =>
        Assert.Contains("'auto', 'cublas', 'mma', 'mma-narrow' or 'simt'", Assert.Throws<ArgumentException>(() => KernelSet.ParseGemmVariable("tensor")).Message);

    internal static void Check(GemmBackend backend, bool bf16, int rows, int k, int m)
    {
        var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
        var x = Array.ConvertAll(TestData.Random(rows * k), v => WeightBits.FromFloat(v, format));
        var w = Array.ConvertAll(TestData.Random(m * k), v => WeightBits.FromFloat(v, format));
        var expected = new float[rows * m];
        GemmTc.Reference(x, w, expected, rows, k, m, bf16);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var wBuffer = a.Allocate1D(w);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * m + 8));   // padding: a stray store past y shows
        TestGpu.Kernels.MatMulHalf(xBuffer.View, wBuffer.View, yBuffer.View, rows, k, m, bf16, backend);
        TestGpu.ThrowIfFaulted();

        var y = yBuffer.GetAsArray1D();
        TestData.AssertClose(expected, y.AsSpan(0, rows * m), Absolute, Relative, $"y ({backend}, {format})");
        Assert.True(y.AsSpan(rows * m).ToArray().All(float.IsNaN) || y.AsSpan(rows * m).ToArray().SequenceEqual(TestData.Poison(8)),
            "MatMulHalf wrote past y");
    }
}
