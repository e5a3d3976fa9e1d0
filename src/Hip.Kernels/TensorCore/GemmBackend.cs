namespace Hip.Kernels;

/// <summary>Which implementation runs <see cref="KernelSet.MatMulHalf(ILGPU.ArrayView{ushort}, ILGPU.ArrayView{ushort}, ILGPU.ArrayView{float}, int, int, int, bool)"/>; the environment variable HIP_GEMM picks it (auto|cublas|mma|simt).</summary>
public enum GemmBackend
{
    /// <summary>cuBLAS on CUDA when it loads, else our tensor-core kernel; the SIMT kernel on the CPU accelerator.</summary>
    Auto,
    /// <summary>cublasGemmEx through <see cref="CuBlasGemm"/> (CUDA only).</summary>
    CuBlas,
    /// <summary>Our tensor-core kernel, <see cref="GemmTc"/> in its wide layout (emulated, slowly, on the CPU accelerator).</summary>
    Mma,
    /// <summary><see cref="GemmTc"/> in its narrow layout (8 warps of 64 × 32).</summary>
    MmaNarrow,
    /// <summary>One thread per output, no tensor cores: <see cref="HalfMatMul"/>.</summary>
    Simt,
}
