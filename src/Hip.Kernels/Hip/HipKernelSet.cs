using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// The HiP kernels loaded once for one accelerator, each wrapped in a method that checks shapes (Debug.Assert) and
/// computes the launch. All launches go to the stream given at construction (the model's KernelSet.Stream); nothing here copies
/// to or from the host.
/// </summary>
public sealed class HipKernelSet : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly LaunchProfile? _profile;
    private readonly int _maskGroup;       // threads per (head, query block) of the mask search
    private readonly int _warpsPerGroup;   // warps per group of the attention kernels
    private readonly int _targetWarps;     // warps that keep the device busy: decode splits the key list until reached

    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args> _maskF32;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args> _maskF16;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args>? _maskTc;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, Kernels.BlockSparseAttention.Args> _attentionF32;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, Kernels.BlockSparseAttention.Args> _attentionF16;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> _merge;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, int> _fill;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _none;   // [1]: the position/origins argument a launch does not read
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _noneFloat;   // [1]: partials when there is one split

    public Accelerator Accelerator => _accelerator;

    /// <summary>
    /// Whether the mask of an F16 cache is scored on tensor cores (<see cref="MaskEstimationTc"/>) where the shapes allow;
    /// otherwise, and for an F32 cache, the SIMT kernel scores it.
    /// </summary>
    public bool TensorCoreMask { get; }

    /// <param name="stream">The stream to launch on; null takes the accelerator's default stream.</param>
    /// <param name="profile">Where launches are timed in a profiled decode step (KernelSet.Profile), or null.</param>
    /// <param name="tensorCores">Score masks on tensor cores; null: on CUDA unless HIP_TENSOR_CORES=0 (the CPU
    /// accelerator emulates the mma instruction, which tests use).</param>
    public HipKernelSet(Accelerator accelerator, AcceleratorStream? stream = null, LaunchProfile? profile = null, bool? tensorCores = null)
    {
        _profile = profile;
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        TensorCoreMask = (tensorCores ?? KernelSet.TensorCoresOn(accelerator)) && accelerator.WarpSize == 32;
        _stream = stream ?? accelerator.DefaultStream;
        bool cuda = accelerator.AcceleratorType == AcceleratorType.Cuda;
        // The CPU accelerator runs one OS thread per simulated thread: small groups are far faster there.
        _maskGroup = cuda ? 256 : accelerator.WarpSize;
        _warpsPerGroup = cuda ? 4 : 1;
        _targetWarps = cuda ? 8 * accelerator.NumMultiprocessors * 4 : 1;

        var a = accelerator;
        _maskF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args>(MaskEstimation.Kernel<float, KvF32Element>);
        _maskF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args>(MaskEstimation.Kernel<ushort, KvF16Element>);
        _attentionF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, Kernels.BlockSparseAttention.Args>(Kernels.BlockSparseAttention.Kernel<float, KvF32Element>);
        _attentionF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, Kernels.BlockSparseAttention.Args>(Kernels.BlockSparseAttention.Kernel<ushort, KvF16Element>);
        _merge = a.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int>(Kernels.BlockSparseAttention.MergeKernel);
        _fill = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, int>(KvPosition.FillKernel);
        _none = a.Allocate1D<int>(1);
        _none.MemSetToZero();
        _noneFloat = a.Allocate1D<float>(1);
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
        return Math.Clamp(wanted, 1, Math.Max(1, (longest + 31) / 32));   // down to one 32-key step a split
    }

    /// <summary>
    /// The HiP mask for q [tokens, heads·headDim] at positions startPos.. (or position[0].. when startPos is
    /// <see cref="KvPosition.OnDevice"/>) over one layer's cache: indices [heads, queryBlocks, chunks] (sorted key-block
    /// offsets), counts [heads, queryBlocks].
    /// </summary>
    public void EstimateMask(ArrayView<float> q, KvLayer cache, ArrayView<int> indices, ArrayView<int> counts,
        int tokens, int heads, int kvHeads, int headDim, int startPos, HipAttentionOptions options, ArrayView<int> position = default) =>
        Mask(q, cache, indices, counts, position, _none.View, MaskEstimation.Args.Create(tokens, heads, kvHeads, headDim, startPos, options));

    /// <summary>
    /// A decode step's mask of layer <paramref name="layer"/> into indices [heads, chunks], counts [heads], recomputed on the
    /// device only when the position is RefreshInterval steps past origins[layer] (the last refresh; −1: refresh now), so
    /// the step launches the same kernel with the same arguments whether or not it refreshes.
    /// </summary>
    public void EstimateDecodeMask(ArrayView<float> q, KvLayer cache, ArrayView<int> indices, ArrayView<int> counts,
        ArrayView<int> origins, int layer, int heads, int kvHeads, int headDim, int startPos, HipAttentionOptions options,
        ArrayView<int> position = default)
    {
        Debug.Assert(layer < origins.Length, "EstimateDecodeMask: layer outside origins");
        var args = MaskEstimation.Args.Create(1, heads, kvHeads, headDim, startPos, options);
        args.RefreshInterval = options.RefreshInterval;
        args.Layer = layer;
        Mask(q, cache, indices, counts, position, origins, args);
    }

    private void Mask(ArrayView<float> q, KvLayer cache, ArrayView<int> indices, ArrayView<int> counts, ArrayView<int> position,
        ArrayView<int> origins, MaskEstimation.Args args)
    {
        Debug.Assert(args.HeadDim % 4 == 0 && args.HeadDim <= MaskEstimation.MaxHeadDim && args.Heads % args.KvHeads == 0, "EstimateMask: shapes");
        Debug.Assert(args.Chunks <= MaskEstimation.MaxChunks && args.StartPos + args.Tokens <= cache.Capacity, "EstimateMask: options or positions");
        Debug.Assert(indices.Length >= (long)args.Heads * args.QueryBlocks * args.Chunks && counts.Length >= (long)args.Heads * args.QueryBlocks,
            "EstimateMask: mask buffers too small");
        int groups = args.Heads * args.QueryBlocks;
        var p = Position(args.StartPos, position);
        if (cache.Precision == KvPrecision.F16 && TensorCoreMask && MaskEstimationTc.Supports(args.HeadDim, args.BlockSizeQ, args.BlockStrideQ))
        {
            _maskTc ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, MaskEstimation.Args>(MaskEstimationTc.Kernel);
            _maskTc(_stream, new KernelConfig(groups, TensorCoreMaskWarps(groups) * 32), q, cache.KeysF16, indices, counts, p, origins, args);
            _profile?.Mark("HiP mask (tensor cores)");
            return;
        }
        var config = new KernelConfig(groups, _maskGroup);
        if (cache.Precision == KvPrecision.F32)
            _maskF32(_stream, config, q, cache.KeysF32, indices, counts, p, origins, args);
        else
            _maskF16(_stream, config, q, cache.KeysF16, indices, counts, p, origins, args);
        _profile?.Mark("HiP mask");
    }

    // warps a tensor-core mask group: enough for ~32 resident warps an SM over the launch (few groups, as in decode or a
    // short prefill chunk, take up to 32 warps each), at least 8; one warp on the CPU accelerator
    private int TensorCoreMaskWarps(int groups)
    {
        if (_accelerator.AcceleratorType != AcceleratorType.Cuda)
            return 1;
        int wanted = (32 * _accelerator.NumMultiprocessors + groups - 1) / groups, warps = 8;
        while (warps < wanted && warps < 32)
            warps *= 2;
        return warps;
    }

    /// <summary>
    /// Sink + selected blocks + window attention of q over one layer's cache, o like q; splits &gt; 1 cuts each row's key
    /// list and merges (partials: <see cref="PartialsLength"/> floats). startPos may be <see cref="KvPosition.OnDevice"/>.
    /// </summary>
    public void BlockSparseAttention(ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        ArrayView<int> indices, ArrayView<int> counts, ArrayView<float> partials, int tokens, int heads, int kvHeads, int headDim,
        int startPos, float scale, HipAttentionOptions options, int splits, ArrayView<int> position = default)
    {
        var args = Kernels.BlockSparseAttention.Args.Create(tokens, heads, kvHeads, headDim, startPos, scale, options, splits);
        Debug.Assert(headDim % 4 == 0 && headDim <= Kernels.BlockSparseAttention.MaxHeadDim && heads % kvHeads == 0, "BlockSparseAttention: shapes");
        Debug.Assert(_accelerator.WarpSize == 32 && splits >= 1, "BlockSparseAttention: 32-lane warps, at least one split");
        Debug.Assert(partials.Length >= PartialsLength(tokens, heads, headDim, splits), "BlockSparseAttention: partials too small");
        int rowGroups = (Math.Min(tokens, options.BlockSizeQ) + Kernels.BlockSparseAttention.RowsPerWarp - 1) / Kernels.BlockSparseAttention.RowsPerWarp;
        int warps = Math.Min(_warpsPerGroup, heads / kvHeads * rowGroups);
        var config = new KernelConfig(kvHeads * args.QueryBlocks * splits, warps * _accelerator.WarpSize);
        var p = Position(startPos, position);
        if (partials.Length == 0)
            partials = _noneFloat.View;
        if (cache.Precision == KvPrecision.F32)
            _attentionF32(_stream, config, q, cache.KeysF32, cache.ValuesF32, o, indices, counts, partials, p, args);
        else
            _attentionF16(_stream, config, q, cache.KeysF16, cache.ValuesF16, o, indices, counts, partials, p, args);
        if (splits > 1)
        {
            int rows = tokens * heads;
            _merge(_stream, new KernelConfig((rows + _warpsPerGroup - 1) / _warpsPerGroup, _warpsPerGroup * _accelerator.WarpSize),
                partials, o, rows, headDim, splits);
        }
        _profile?.Mark($"HiP attention split {splits}");
    }

    /// <summary>Every element of values = value, on this set's stream.</summary>
    public void Fill(ArrayView<int> values, int value)
    {
        if (values.Length > 0)
            _fill(_stream, checked((int)values.Length), values, value);
    }

    private ArrayView<int> Position(int startPos, ArrayView<int> position)
    {
        Debug.Assert(startPos >= 0 || (position.IsValid && position.Length >= 1), "startPos is KvPosition.OnDevice but no device position was given");
        return position.IsValid ? position : _none.View;
    }

    public void Dispose()
    {
        _none.Dispose();
        _noneFloat.Dispose();
    }
}
