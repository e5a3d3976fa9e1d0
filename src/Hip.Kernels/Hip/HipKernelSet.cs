using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// The HiP kernels loaded once for one accelerator, each wrapped in a method that checks shapes (Debug.Assert) and
/// computes the launch. All launches go to the stream given at construction (the model's KernelSet.Stream); nothing here copies
/// to or from the host.
/// </summary>
public sealed class HipKernelSet
{
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly int _maskGroup;       // threads per (head, query block) of the mask search
    private readonly int _warpsPerGroup;   // warps per group of the attention kernels
    private readonly int _targetWarps;     // warps that keep the device busy: decode splits the key list until reached

    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args> _mask;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, Kernels.BlockSparseAttention.Args> _attention;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> _merge;

    public Accelerator Accelerator => _accelerator;

    /// <param name="stream">The stream to launch on; null takes the accelerator's default stream.</param>
    public HipKernelSet(Accelerator accelerator, AcceleratorStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        _stream = stream ?? accelerator.DefaultStream;
        bool cuda = accelerator.AcceleratorType == AcceleratorType.Cuda;
        // The CPU accelerator runs one OS thread per simulated thread: small groups are far faster there.
        _maskGroup = cuda ? 256 : accelerator.WarpSize;
        _warpsPerGroup = cuda ? 4 : 1;
        _targetWarps = cuda ? 8 * accelerator.NumMultiprocessors * 4 : 1;

        var a = accelerator;
        _mask = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args>(MaskEstimation.Kernel);
        _attention = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, Kernels.BlockSparseAttention.Args>(Kernels.BlockSparseAttention.Kernel);
        _merge = a.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int>(Kernels.BlockSparseAttention.MergeKernel);
    }

    /// <summary>Query blocks of a batch of <paramref name="tokens"/> queries.</summary>
    public static int QueryBlocks(int tokens, HipAttentionOptions options) => (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ;

    /// <summary>Ints of a mask's indices [heads, queryBlocks, chunks]; counts take heads · queryBlocks.</summary>
    public static long MaskLength(int tokens, int heads, HipAttentionOptions options) =>
        (long)heads * QueryBlocks(tokens, options) * options.Chunks;

    /// <summary>Floats of the split-KV partials [tokens·heads, splits, headDim + 2].</summary>
    public static long PartialsLength(int tokens, int heads, int headDim, int splits) =>
        splits <= 1 ? 0 : (long)tokens * heads * splits * Kernels.BlockSparseAttention.PartialStride(headDim);

    /// <summary>Splits of the key list so that tokens · heads rows fill the device (1 for long prefills); at least 64 keys a split.</summary>
    public int ChooseSplits(int tokens, int heads, HipAttentionOptions options)
    {
        long rows = (long)tokens * heads;
        int longest = options.SinkTokens + options.K + options.WindowTokens;
        int wanted = (int)Math.Min(int.MaxValue, (_targetWarps + rows - 1) / rows);
        return Math.Clamp(wanted, 1, Math.Max(1, longest / 64));
    }

    /// <summary>
    /// The HiP mask for q [tokens, heads·headDim] at positions startPos.. over one layer's cache kCache
    /// [kvHeads, capacity, headDim]: indices [heads, queryBlocks, chunks] (sorted key-block offsets), counts [heads, queryBlocks].
    /// </summary>
    public void EstimateMask(ArrayView<float> q, ArrayView<float> kCache, ArrayView<int> indices, ArrayView<int> counts,
        int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos, HipAttentionOptions options)
    {
        var args = MaskEstimation.Args.Create(tokens, heads, kvHeads, headDim, capacity, startPos, options);
        Debug.Assert(headDim % 4 == 0 && headDim <= MaskEstimation.MaxHeadDim && heads % kvHeads == 0, "EstimateMask: shapes");
        Debug.Assert(options.Chunks <= MaskEstimation.MaxChunks && startPos + tokens <= capacity, "EstimateMask: options or positions");
        Debug.Assert(indices.Length >= MaskLength(tokens, heads, options) && counts.Length >= (long)heads * args.QueryBlocks, "EstimateMask: mask buffers too small");
        _mask(_stream, new KernelConfig(heads * args.QueryBlocks, _maskGroup), q, kCache, indices, counts, args);
    }

    /// <summary>
    /// Sink + selected blocks + window attention of q over one layer's cache, o like q; splits &gt; 1 cuts each row's key
    /// list and merges (partials: <see cref="PartialsLength"/> floats).
    /// </summary>
    public void BlockSparseAttention(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<float> o,
        ArrayView<int> indices, ArrayView<int> counts, ArrayView<float> partials, int tokens, int heads, int kvHeads, int headDim,
        int capacity, int startPos, float scale, HipAttentionOptions options, int splits)
    {
        var args = Kernels.BlockSparseAttention.Args.Create(tokens, heads, kvHeads, headDim, capacity, startPos, scale, options, splits);
        Debug.Assert(headDim % 4 == 0 && headDim <= Kernels.BlockSparseAttention.MaxHeadDim && heads % kvHeads == 0, "BlockSparseAttention: shapes");
        Debug.Assert(_accelerator.WarpSize == 32 && splits >= 1, "BlockSparseAttention: 32-lane warps, at least one split");
        Debug.Assert(partials.Length >= PartialsLength(tokens, heads, headDim, splits), "BlockSparseAttention: partials too small");
        int rowGroups = (Math.Min(tokens, options.BlockSizeQ) + Kernels.BlockSparseAttention.RowsPerWarp - 1) / Kernels.BlockSparseAttention.RowsPerWarp;
        int warps = Math.Min(_warpsPerGroup, heads / kvHeads * rowGroups);
        _attention(_stream, new KernelConfig(kvHeads * args.QueryBlocks * splits, warps * _accelerator.WarpSize),
            q, kCache, vCache, o, indices, counts, partials, args);
        if (splits > 1)
        {
            int rows = tokens * heads;
            _merge(_stream, new KernelConfig((rows + _warpsPerGroup - 1) / _warpsPerGroup, _warpsPerGroup * _accelerator.WarpSize),
                partials, o, rows, headDim, splits);
        }
    }
}
