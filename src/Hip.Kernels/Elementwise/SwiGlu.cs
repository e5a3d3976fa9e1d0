using ILGPU;

namespace Hip.Kernels;

/// <summary>SwiGLU gate in place: gate = silu(gate) · up, with silu(x) = x / (1 + e^−x).</summary>
public static class SwiGlu
{
    // gate, up: [n]
    public static void Kernel(Index1D i, ArrayView<float> gate, ArrayView<float> up)
    {
        float g = gate[i];
        gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
    }

    public static void Reference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
            gate[i] = (float)(gate[i] / (1.0 + Math.Exp(-gate[i])) * up[i]);
    }
}
