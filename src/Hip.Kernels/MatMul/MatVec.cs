using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// y = x · Wᵀ for a few rows of x (decode): one warp per output element, lanes stride over the shared dimension.
/// Weights are read through <typeparamref name="TReader"/> (F32, F16 or BF16) and accumulated in float32.
/// </summary>
public static class MatVec
{
    // x: [rows, n]   w: [m, n]   y: [rows, m]
    // Launch: grid (ceil(m / warpsPerGroup), rows), group (warpsPerGroup * warpSize, 1).
    public static void Kernel<TWeight, TReader>(ArrayView<float> x, ArrayView<TWeight> w, ArrayView<float> y, int n, int m)
        where TWeight : unmanaged
        where TReader : struct, IWeightReader<TWeight>
    {
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int o = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        int r = Grid.IdxY;
        var reader = default(TReader);
        float acc = 0f;
        if (o < m)
        {
            long wRow = (long)o * n, xRow = (long)r * n;
            for (int i = Warp.LaneIdx; i < n; i += Warp.WarpSize)
                acc += x[xRow + i] * reader.Read(w[wRow + i]);
        }
        acc = Reductions.WarpSum(acc);
        if (o < m && Warp.LaneIdx == 0)
            y[(long)r * m + o] = acc;
    }

    // One thread per output element (index over rows * m), no shuffles: the CPU accelerator's variant.
    public static void PerThreadKernel<TWeight, TReader>(Index1D index, ArrayView<float> x, ArrayView<TWeight> w, ArrayView<float> y, int n, int m)
        where TWeight : unmanaged
        where TReader : struct, IWeightReader<TWeight>
    {
        int r = index / m, o = index % m;
        var reader = default(TReader);
        long wRow = (long)o * n, xRow = (long)r * n;
        float acc = 0f;
        for (int i = 0; i < n; i++)
            acc += x[xRow + i] * reader.Read(w[wRow + i]);
        y[index] = acc;
    }

    /// <summary>y[r, o] = Σ_i x[r, i] · w[o, i], with w given as float32 (convert 16-bit weights first).</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int rows, int n, int m)
    {
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < m; o++)
            {
                double acc = 0;
                for (int i = 0; i < n; i++)
                    acc += (double)x[r * n + i] * w[o * n + i];
                y[r * m + o] = (float)acc;
            }
    }
}
