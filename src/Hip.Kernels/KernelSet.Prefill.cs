using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

// Prefill on tensor cores: which projections and attention calls of a forward pass run on the tensor-core kernels
// (GemmTc / cuBLAS, FlashAttention) instead of the SIMT ones. On CUDA by default; HIP_TENSOR_CORES=0 turns it off
// (the SIMT path stays as the reference and for the CPU accelerator, where inline PTX cannot run).
public sealed partial class KernelSet
{
    /// <summary>Set to <c>0</c> to run prefill on the SIMT kernels even on CUDA.</summary>
    public const string TensorCoresVariable = "HIP_TENSOR_CORES";

    /// <summary>Fewest rows (tokens) for which <see cref="MatMul"/> takes the tensor-core GEMM.</summary>
    public const int TensorCoreMinRows = 16;

    private MemoryBuffer1D<ushort, Stride1D.Dense>? _prefillX;   // activations as fp16/bf16 [rows, k]
    private MemoryBuffer1D<ushort, Stride1D.Dense>? _prefillW;   // a quantized or F32 weight dequantized to fp16 [m, k]
    private bool? _tensorCores;

    /// <summary>Whether prefill runs on tensor cores here: CUDA, and not turned off by HIP_TENSOR_CORES=0.</summary>
    public bool TensorCores => _tensorCores ??= TensorCoresOn(_accelerator);

    /// <summary>The tensor-core default for an accelerator: CUDA, unless HIP_TENSOR_CORES=0.</summary>
    internal static bool TensorCoresOn(Accelerator accelerator) => accelerator.AcceleratorType == AcceleratorType.Cuda
        && Environment.GetEnvironmentVariable(TensorCoresVariable)?.Trim() != "0";

    // y = x · Wᵀ on tensor cores when it pays: enough rows, rows of a multiple of 16 values, a tensor-core GEMM present
    private bool TryMatMulTensorCores(ArrayView<float> x, DeviceMatrix w, ArrayView<float> y, int rows)
    {
        int k = w.Cols, m = w.Rows;
        if (!TensorCores || rows < TensorCoreMinRows || k % 16 != 0 || GemmBackend == GemmBackend.Simt)
            return false;
        bool bf16 = w.Type == WeightType.BF16;
        var xHalf = Grow(ref _prefillX, (long)rows * k);
        ConvertToHalf(x, xHalf, rows * k, bf16);
        ArrayView<ushort> wHalf;
        if (w.Type is WeightType.F16 or WeightType.BF16)
        {
            wHalf = w.Bits;
        }
        else
        {
            if (!w.HasBlockView)
                return false;
            wHalf = Grow(ref _prefillW, (long)m * k);
            DequantizeRows(w, 0, m, wHalf);   // the whole weight to fp16, then one GEMM
        }
        MatMulHalf(xHalf, wHalf, y, rows, k, m, bf16);
        return true;
    }

    /// <summary>
    /// Dense causal prefill attention on tensor cores when the shapes allow (F16 cache, head dim 64 or 128, at most 8
    /// query heads per KV head); false when the caller must take the SIMT kernel.
    /// </summary>
    public bool TryFlashAttentionPrefill(ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale)
    {
        if (!TensorCores || tokens < TensorCoreMinRows || startPos < 0 || cache.Precision != KvPrecision.F16
            || headDim is not (64 or 128) || heads / kvHeads > 8)
            return false;
        FlashAttentionPrefill(q, cache.KeysF16, cache.ValuesF16, o, tokens, heads, kvHeads, headDim, startPos, scale);
        return true;
    }

    /// <summary>HiP's block-sparse prefill attention on tensor cores over a mask from EstimateMask, when the shapes allow.</summary>
    public bool TryHipAttentionPrefill(ArrayView<float> q, KvLayer cache, ArrayView<float> o, ArrayView<int> indices, ArrayView<int> counts,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, HipAttentionOptions options)
    {
        if (!TensorCores || tokens < TensorCoreMinRows || startPos < 0 || cache.Precision != KvPrecision.F16
            || headDim is not (64 or 128) || heads / kvHeads > 8 || options.BlockSizeQ % 16 != 0 || options.BlockSizeQ > 128)
            return false;
        HipAttentionPrefill(q, cache.KeysF16, cache.ValuesF16, o, indices, counts, tokens, heads, kvHeads, headDim, startPos, scale, options);
        return true;
    }

    // a prefill scratch of at least length elements (grown outside captured decode steps: only prefill calls this)
    private ArrayView<T> Grow<T>(ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, long length) where T : unmanaged =>
        DeviceScratch.Grow(_accelerator, _stream, ref buffer, length);
}
