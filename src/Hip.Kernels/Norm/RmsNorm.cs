using ILGPU;

namespace Hip.Kernels;

/// <summary>RMS norm per row: y = x / sqrt(mean(x²) + eps) * weight.</summary>
public static class RmsNorm
{
    // x, y: [rows, dim]   weight: [dim]. One group per row: launch (rows, any multiple of the warp size).
    // y may alias x: each thread writes only the elements it read.
    public static void Kernel(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
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
            y[row + i] = x[row + i] * scale * weight[i];
    }

    // One thread per row, no barriers: the CPU accelerator's variant (a barrier costs an OS-thread rendezvous there).
    public static void PerThreadKernel(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
    {
        long offset = (long)row.X * dim;
        float sumSquares = 0f;
        for (int i = 0; i < dim; i++)
            sumSquares += x[offset + i] * x[offset + i];
        float scale = 1f / MathF.Sqrt(sumSquares / dim + eps);
        for (int i = 0; i < dim; i++)
            y[offset + i] = x[offset + i] * scale * weight[i];
    }

    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int dim, float eps)
    {
        for (int row = 0; row < x.Length / dim; row++)
        {
            var xr = x.Slice(row * dim, dim);
            double sumSquares = 0;
            foreach (float v in xr)
                sumSquares += (double)v * v;
            float scale = (float)(1.0 / Math.Sqrt(sumSquares / dim + eps));
            for (int i = 0; i < dim; i++)
                y[row * dim + i] = xr[i] * scale * weight[i];
        }
    }
}
