using ILGPU;

namespace Hip.Kernels;

/// <summary>Residual add in place: x += y.</summary>
public static class ResidualAdd
{
    // x, y: [n]
    public static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y) => x[i] += y[i];

    public static void Reference(Span<float> x, ReadOnlySpan<float> y)
    {
        for (int i = 0; i < x.Length; i++)
            x[i] += y[i];
    }
}
