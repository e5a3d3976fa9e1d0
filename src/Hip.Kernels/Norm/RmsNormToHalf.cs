using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// RMS norm per row written as fp16 or bf16 bits: y = half(x / sqrt(mean(x²) + eps) * weight). The prefill path's
/// norm → GEMM input in one pass instead of a norm and a conversion.
/// </summary>
public static class RmsNormToHalf
{
    // x: [rows, dim] float   weight: [dim]   y: [rows, dim] half bits (fp16 when bf16 is 0, else bf16).
    // One group per row: launch (rows, any multiple of the warp size).
    /// <summary>The grouped (GPU) form: one group per row.</summary>
    public static void Kernel(ArrayView<float> x, ArrayView<float> weight, ArrayView<ushort> y, int dim, float eps, int bf16)
    {
        long row = (long)Grid.IdxX * dim;
        float sumSquares = 0f;
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
        {
            float v = x[row + i];
            sumSquares += v * v;
        }
        sumSquares = Reductions.GroupSum(sumSquares);
        float scale = 1f / MathF.Sqrt(sumSquares / dim + eps);
        for (int i = Group.IdxX; i < dim; i += Group.DimX)
            y[row + i] = HalfConvert.ToBits(x[row + i] * scale * weight[i], bf16);
    }

    /// <summary>One thread per row, no barriers: the CPU accelerator's form.</summary>
    public static void PerThreadKernel(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<ushort> y, int dim, float eps, int bf16)
    {
        long offset = (long)row.X * dim;
        float sumSquares = 0f;
        for (int i = 0; i < dim; i++)
            sumSquares += x[offset + i] * x[offset + i];
        float scale = 1f / MathF.Sqrt(sumSquares / dim + eps);
        for (int i = 0; i < dim; i++)
            y[offset + i] = HalfConvert.ToBits(x[offset + i] * scale * weight[i], bf16);
    }

    /// <summary>Reference: <see cref="RmsNorm.Reference"/>, then each value rounded to the half format.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<ushort> y, int dim, float eps, bool bf16)
    {
        var normed = new float[x.Length];
        RmsNorm.Reference(x, weight, normed, dim, eps);
        for (int i = 0; i < normed.Length; i++)
            y[i] = WeightBits.FromFloat(normed[i], bf16 ? WeightFormat.BF16 : WeightFormat.F16);
    }
}
