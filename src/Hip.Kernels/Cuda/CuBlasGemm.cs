using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>
/// One cuBLAS handle bound to a CUDA stream, running y = x · Wᵀ (our row-major layouts) through cublasGemmEx with
/// fp16 or bf16 inputs, float32 output and CUBLAS_COMPUTE_32F. cuBLAS is column-major: the row-major y [rows, m] is the
/// column-major yᵀ [m, rows] = W · xᵀ, where the row-major W [m, k] reads column-major as Wᵀ [k, m] (so op T, lda k)
/// and the row-major x [rows, k] as xᵀ [k, rows] (op N, ldb k); ldc m. The fast "TN" case.
/// </summary>
public sealed class CuBlasGemm : IDisposable
{
    private readonly CuBlasLibrary.Loaded _functions;
    private IntPtr _handle;

    /// <summary>cuBLAS's version number (e.g. 130100).</summary>
    public int Version { get; }

    /// <summary>Creates a handle whose work goes to <paramref name="stream"/>. Throws when cuBLAS is not available.</summary>
    public CuBlasGemm(AcceleratorStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is not CudaStream cudaStream)
            throw new ArgumentException($"cuBLAS needs a CUDA stream; got {stream.GetType().Name}.", nameof(stream));
        _functions = CuBlasLibrary.Functions;
        Check(_functions.Create(out _handle), "cublasCreate_v2");
        Check(_functions.SetStream(_handle, cudaStream.StreamPtr), "cublasSetStream_v2");
        Check(_functions.GetVersion(_handle, out int version), "cublasGetVersion_v2");
        Version = version;
    }

    /// <summary>y [rows, m] = x [rows, k] · W [m, k]ᵀ, queued on the handle's stream.</summary>
    public void MatMul(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m, bool bf16)
    {
        ObjectDisposedException.ThrowIf(_handle == IntPtr.Zero, this);
        int type = bf16 ? CuBlasLibrary.DataBFloat16 : CuBlasLibrary.DataFloat16;
        float alpha = 1f, beta = 0f;
        Check(_functions.GemmEx(_handle, CuBlasLibrary.OperationTranspose, CuBlasLibrary.OperationNone, m, rows, k,
            ref alpha, w.LoadEffectiveAddressAsPtr(), type, k, x.LoadEffectiveAddressAsPtr(), type, k,
            ref beta, y.LoadEffectiveAddressAsPtr(), CuBlasLibrary.DataFloat32, m, CuBlasLibrary.Compute32F, CuBlasLibrary.GemmDefault),
            $"cublasGemmEx (rows {rows}, k {k}, m {m}, {(bf16 ? "bf16" : "fp16")})");
    }

    private static void Check(int status, string call)
    {
        if (status != CuBlasLibrary.Success)
            throw new InvalidOperationException($"{call} failed with cublasStatus {status} ({CuBlasLibrary.LoadedPath}).");
    }

    /// <summary>Destroys the handle.</summary>
    public void Dispose()
    {
        if (_handle != IntPtr.Zero)
        {
            _functions.Destroy(_handle);
            _handle = IntPtr.Zero;
        }
    }
}
