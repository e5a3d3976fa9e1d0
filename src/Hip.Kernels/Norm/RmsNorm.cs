using ILGPU;

namespace Hip.Kernels;

/// <summary>RMS norm per row: y = x / sqrt(mean(x²) + eps) * weight.</summary>
public static class RmsNorm
{
    // x, y: [rows, dim]   weight: [dim]. One group per row: launch (rows, any multiple of the warp size).
    // y may alias x: each thread writes only the elements it read.
    // dim a multiple of 4: 16-byte loads and stores (a decode row of 4096 is one vector per thread of a 1024-thread group).
    public static void Kernel(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
    {
        if ((dim & 3) == 0)
        {
            VectorKernel(x, weight, y, dim, eps);
            return;
        }
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

    private static void VectorKernel(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
    {
        var x4 = x.Cast<Float4>();
        var w4 = weight.Cast<Float4>();
        var y4 = y.Cast<Float4>();
        int dim4 = dim / 4;
        long row = (long)Grid.IdxX * dim4;
        float scale = RowScale(x4, row, dim, eps);
        for (int i = Group.IdxX; i < dim4; i += Group.DimX)
            y4[row + i] = Normed(x4[row + i], scale, w4[i]);
    }

    /// <summary>1 / sqrt(mean(x²) + eps) of the row of dim values starting at Float4 <paramref name="row"/>; the whole group, with barriers.</summary>
    internal static float RowScale(ArrayView<Float4> x4, long row, int dim, float eps)
    {
        float sumSquares = 0f;
        for (int i = Group.IdxX; i < dim / 4; i += Group.DimX)
        {
            var v = x4[row + i];
            sumSquares += v.X * v.X + v.Y * v.Y + v.Z * v.Z + v.W * v.W;
        }
        sumSquares = Reductions.GroupSum(sumSquares);
        return 1f / MathF.Sqrt(sumSquares / dim + eps);
    }

    /// <summary>v · scale · w per component.</summary>
    internal static Float4 Normed(Float4 v, float scale, Float4 w) =>
        new() { X = v.X * scale * w.X, Y = v.Y * scale * w.Y, Z = v.Z * scale * w.Z, W = v.W * scale * w.W };

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
