using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// y = x · Wᵀ over half-precision bits without tensor cores: one thread per output, float32 accumulation. The CPU
/// accelerator's form of <see cref="KernelSet.MatMulHalf"/> (and HIP_GEMM=simt on CUDA, as a slow baseline).
/// </summary>
public static class HalfMatMul
{
    // x: [rows, k]   w: [m, k]   y: [rows, m]; index = r · m + j. bf16: 0 fp16, 1 bf16.
    /// <summary>y[r, j] = Σ_i x[r, i] · w[j, i]; one thread per output.</summary>
    public static void PerThreadKernel(Index1D index, ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int k, int m, int bf16)
    {
        int r = index / m, j = index - r * m;
        long xRow = (long)r * k, wRow = (long)j * k;
        float sum = 0f;
        for (int i = 0; i < k; i++)
            sum += ToFloat(x[xRow + i], bf16) * ToFloat(w[wRow + i], bf16);
        y[index] = sum;
    }

    private static float ToFloat(ushort bits, int bf16) =>
        bf16 != 0 ? Interop.IntAsFloat((uint)bits << 16) : (float)Interop.IntAsFloat(bits);
}
