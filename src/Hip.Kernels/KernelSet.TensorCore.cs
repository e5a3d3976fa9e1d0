using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

public sealed partial class KernelSet
{
    /// <summary>The environment variable that picks the half-precision GEMM: auto, cublas, mma, mma-narrow or simt.</summary>
    public const string GemmVariable = "HIP_GEMM";

    private GemmState? _gemm;

    /// <summary>The implementation <see cref="MatMulHalf(ArrayView{ushort}, ArrayView{ushort}, ArrayView{float}, int, int, int, bool)"/> runs (never Auto); chosen on first use from HIP_GEMM.</summary>
    public GemmBackend GemmBackend => Gemm.Backend;

    /// <summary>Why <see cref="GemmBackend"/> is not what HIP_GEMM asked for (e.g. cuBLAS did not load), or "".</summary>
    public string GemmFallbackReason => Gemm.Reason;

    private GemmState Gemm => LazyInitializer.EnsureInitialized(ref _gemm, () => new GemmState(this, ParseGemmVariable(Environment.GetEnvironmentVariable(GemmVariable))));

    /// <summary>
    /// y [rows, m] = x [rows, k] · W [m, k]ᵀ over fp16 (<paramref name="bf16"/> false) or bf16 bits, float32
    /// accumulation and output, with <see cref="GemmBackend"/>. The prefill projections: RmsNormToHalf (or ConvertToHalf)
    /// → MatMulHalf. The first call loads the kernels (and cuBLAS): make it before capturing a CUDA graph.
    /// </summary>
    public void MatMulHalf(ArrayView<ushort> xHalf, ArrayView<ushort> wHalf, ArrayView<float> y, int rows, int k, int m, bool bf16) =>
        MatMulHalf(xHalf, wHalf, y, rows, k, m, bf16, GemmBackend);

    /// <summary>As the other overload, with a given implementation; throws when it cannot run here (cuBLAS absent or not CUDA).</summary>
    public void MatMulHalf(ArrayView<ushort> xHalf, ArrayView<ushort> wHalf, ArrayView<float> y, int rows, int k, int m, bool bf16, GemmBackend backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        if (xHalf.Length < (long)rows * k || wHalf.Length < (long)m * k || y.Length < (long)rows * m)
            throw new ArgumentException($"MatMulHalf: buffers too small for rows {rows}, k {k}, m {m}: x has {xHalf.Length} " +
                $"(needs {(long)rows * k}), W {wHalf.Length} (needs {(long)m * k}), y {y.Length} (needs {(long)rows * m}).");
        var state = Gemm;
        if (backend == GemmBackend.Auto)
            backend = state.Backend;
        switch (backend)
        {
            case GemmBackend.CuBlas:
                state.CuBlas(this).MatMul(xHalf, wHalf, y, rows, k, m, bf16);
                break;
            case GemmBackend.Mma or GemmBackend.MmaNarrow:
                if (k % GemmTc.KMultiple != 0)
                    throw new ArgumentException($"MatMulHalf (mma): k = {k} is not a multiple of {GemmTc.KMultiple}; pad the rows of x and W with zeros to a multiple of {GemmTc.KMultiple}.", nameof(k));
                bool wide = backend == GemmBackend.Mma;
                var kernel = wide ? (bf16 ? state.MmaBF16 : state.MmaF16) : (bf16 ? state.MmaNarrowBF16 : state.MmaNarrowF16);
                kernel(_stream, GemmTc.Launch(rows, m, wide), xHalf, wHalf, y, rows, k, m);
                break;
            default:
                state.Simt(_stream, rows * m, xHalf, wHalf, y, k, m, bf16 ? 1 : 0);
                break;
        }
    }

    /// <summary>x (float32) → y (fp16 or bf16 bits), count elements, round to nearest even.</summary>
    public void ConvertToHalf(ArrayView<float> x, ArrayView<ushort> y, int count, bool bf16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (x.Length < count || y.Length < count)
            throw new ArgumentException($"ConvertToHalf: {count} elements asked, x has {x.Length}, y {y.Length}.");
        Gemm.Convert(_stream, count, x.SubView(0, count), y.SubView(0, count), bf16 ? 1 : 0);
    }

    /// <summary>y (half bits) = rmsnorm(x) · weight per row. x: [rows, dim] float   weight: [dim]   y: [rows, dim].</summary>
    public void RmsNormToHalf(ArrayView<float> x, ArrayView<float> weight, ArrayView<ushort> y, int rows, int dim, float eps, bool bf16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (x.Length < (long)rows * dim || y.Length < (long)rows * dim || weight.Length < dim)
            throw new ArgumentException($"RmsNormToHalf: rows {rows}, dim {dim} need x and y of {(long)rows * dim} and weight of {dim}; got {x.Length}, {y.Length}, {weight.Length}.");
        var state = Gemm;
        if (Variant == KernelVariant.PerThread)
            state.RmsNormPerThread(_stream, rows, x, weight, y, dim, eps, bf16 ? 1 : 0);
        else
            state.RmsNorm(_stream, new KernelConfig(rows, _reduceGroup), x, weight, y, dim, eps, bf16 ? 1 : 0);
    }

    internal static GemmBackend ParseGemmVariable(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => GemmBackend.Auto,
        "cublas" => GemmBackend.CuBlas,
        "mma" => GemmBackend.Mma,
        "mma-narrow" => GemmBackend.MmaNarrow,
        "simt" => GemmBackend.Simt,
        _ => throw new ArgumentException($"{GemmVariable}='{value}' is not a GEMM: use 'auto', 'cublas', 'mma', 'mma-narrow' or 'simt', or leave it unset."),
    };

    // The half-precision GEMM's kernels and cuBLAS handle, loaded on first use (most sets never run a prefill GEMM).
    private sealed class GemmState
    {
        public readonly Action<AcceleratorStream, KernelConfig, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int> MmaF16, MmaBF16, MmaNarrowF16, MmaNarrowBF16;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int> Simt;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<ushort>, int> Convert;
        public readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, float, int> RmsNorm;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, float, int> RmsNormPerThread;
        public readonly GemmBackend Backend;
        public readonly string Reason = "";
        private CuBlasGemm? _cuBlas;

        public GemmState(KernelSet set, GemmBackend requested)
        {
            var a = set._accelerator;
            MmaF16 = a.LoadKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int>(GemmTc.KernelF16);
            MmaBF16 = a.LoadKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int>(GemmTc.KernelBF16);
            MmaNarrowF16 = a.LoadKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int>(GemmTc.KernelNarrowF16);
            MmaNarrowBF16 = a.LoadKernel<ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int>(GemmTc.KernelNarrowBF16);
            Simt = a.LoadAutoGroupedKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, int, int, int>(HalfMatMul.PerThreadKernel);
            Convert = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<ushort>, int>(HalfConvert.Kernel);
            RmsNorm = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, float, int>(Kernels.RmsNormToHalf.Kernel);
            RmsNormPerThread = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, float, int>(Kernels.RmsNormToHalf.PerThreadKernel);

            bool cuda = a.AcceleratorType == AcceleratorType.Cuda;
            Backend = requested;
            if (requested is GemmBackend.Auto or GemmBackend.CuBlas)
            {
                if (!cuda)
                {
                    Backend = GemmBackend.Simt;
                    if (requested == GemmBackend.CuBlas)
                        Reason = "cuBLAS needs a CUDA accelerator; the CPU accelerator runs the SIMT kernel.";
                }
                else if (!CuBlasLibrary.IsAvailable)
                {
                    Backend = GemmBackend.Mma;
                    Reason = CuBlasLibrary.UnavailableReason;
                }
                else
                {
                    try
                    {
                        _cuBlas = new CuBlasGemm(set._stream);
                        Backend = GemmBackend.CuBlas;
                    }
                    catch (InvalidOperationException e)
                    {
                        Backend = GemmBackend.Mma;
                        Reason = e.Message;
                    }
                }
            }
        }

        public CuBlasGemm CuBlas(KernelSet set)
        {
            if (_cuBlas is null)
            {
                if (set._accelerator.AcceleratorType != AcceleratorType.Cuda)
                    throw new InvalidOperationException("MatMulHalf: cuBLAS needs a CUDA accelerator.");
                if (!CuBlasLibrary.IsAvailable)
                    throw new InvalidOperationException("MatMulHalf: " + CuBlasLibrary.UnavailableReason);
                _cuBlas = new CuBlasGemm(set._stream);
            }
            return _cuBlas;
        }
    }
}
