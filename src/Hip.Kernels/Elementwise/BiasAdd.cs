using ILGPU;

namespace Hip.Kernels;

/// <summary>y[r, c] += bias[c]: the bias of a projection (Qwen2's q, k, v), added after the mat-mul.</summary>
public static class BiasAdd
{
    // y: [rows, cols]   bias: [cols]; one thread per element of y.
    public static void Kernel(Index1D index, ArrayView<float> y, ArrayView<float> bias, int cols) =>
        y[index] += bias[index % cols];

    public static void Reference(Span<float> y, ReadOnlySpan<float> bias, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                y[r * cols + c] += bias[c];
    }
}
