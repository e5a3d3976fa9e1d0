using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class MmaTests
{
    // Inputs are rounded to fp16/bf16 before the float64 reference, so only the float32 accumulation of 32 products
    // differs: 1e-5 relative plus 1e-5 absolute.
    private const double Absolute = 1e-5, Relative = 1e-5;

    // One warp: C[16×8] = A0·B0 + A1·B1 with A row-major [16, 16] and W = Bᵀ row-major [8, 16] (a weight's layout),
    // fragments loaded straight from global memory as Mma documents them.
    private static void Kernel(ArrayView<uint> a, ArrayView<uint> w, ArrayView<float> c, int bf16)
    {
        int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3;
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int step = 0; step < 2; step++)
        {
            int aBase = step * 128, wBase = step * 64;   // words: 16×16 halves = 128 words; 8×16 halves = 64 words
            uint a0 = a[aBase + g * 8 + t], a1 = a[aBase + (g + 8) * 8 + t];
            uint a2 = a[aBase + g * 8 + t + 4], a3 = a[aBase + (g + 8) * 8 + t + 4];
            uint b0 = w[wBase + g * 8 + t], b1 = w[wBase + g * 8 + t + 4];
            if (bf16 != 0)
                Mma.MmaBF16(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
            else
                Mma.MmaF16(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
        }
        c[g * 8 + 2 * t] = c0;
        c[g * 8 + 2 * t + 1] = c1;
        c[(g + 8) * 8 + 2 * t] = c2;
        c[(g + 8) * 8 + 2 * t + 1] = c3;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mma_RandomFragments_MatchesReference(bool bf16)
    {
        var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
        var aValues = Round(TestData.Random(2 * 16 * 16), format);
        var wValues = Round(TestData.Random(2 * 8 * 16), format);
        var expected = new float[16 * 8];
        for (int step = 0; step < 2; step++)
        {
            var b = new float[16 * 8];   // B[k][n] = W[n][k]
            for (int n = 0; n < 8; n++)
                for (int k = 0; k < 16; k++)
                    b[k * 8 + n] = wValues[step * 128 + n * 16 + k];
            Mma.Reference(aValues.AsSpan(step * 256, 256), b, expected);
        }

        var acc = TestGpu.Gpu.Accelerator;
        var kernel = acc.LoadStreamKernel<ArrayView<uint>, ArrayView<uint>, ArrayView<float>, int>(Kernel);
        using var aBuffer = acc.Allocate1D(Pack(aValues, format));
        using var wBuffer = acc.Allocate1D(Pack(wValues, format));
        using var cBuffer = acc.Allocate1D(TestData.Poison(16 * 8));
        kernel(new KernelConfig(1, 32), aBuffer.View, wBuffer.View, cBuffer.View, bf16 ? 1 : 0);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, cBuffer.GetAsArray1D(), Absolute, Relative, bf16 ? "C (bf16)" : "C (f16)");
    }

    private static float[] Round(float[] values, WeightFormat format) =>
        Array.ConvertAll(values, v => WeightBits.ToFloat(WeightBits.FromFloat(v, format), format));

    private static uint[] Pack(float[] values, WeightFormat format)
    {
        var words = new uint[values.Length / 2];
        for (int i = 0; i < words.Length; i++)
            words[i] = WeightBits.FromFloat(values[2 * i], format) | ((uint)WeightBits.FromFloat(values[2 * i + 1], format) << 16);
        return words;
    }
}
