using ILGPU;
using ILGPU.Runtime;
using FlashEntry = System.Action<ILGPU.ArrayView<float>, ILGPU.ArrayView<ushort>, ILGPU.ArrayView<ushort>, ILGPU.ArrayView<float>, ILGPU.ArrayView<int>, ILGPU.ArrayView<int>, Hip.Kernels.FlashAttention.Args>;
using FlashLaunch = System.Action<ILGPU.Runtime.AcceleratorStream, ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<ushort>, ILGPU.ArrayView<ushort>, ILGPU.ArrayView<float>, ILGPU.ArrayView<int>, ILGPU.ArrayView<int>, Hip.Kernels.FlashAttention.Args>;

namespace Hip.Kernels;

// Prefill attention on tensor cores (TensorCore/FlashAttention.cs) over the F16 block-layout KV cache. Loaded on first
// use or by PrepareFlashAttention (call it before capturing a graph: loading compiles and allocates).
public sealed partial class KernelSet
{
    private FlashLaunch? _flash64;
    private FlashLaunch? _flash128;
    private FlashLaunch? _flashLdmatrix64;
    private FlashLaunch? _flashLdmatrix128;
    private MemoryBuffer1D<int, Stride1D.Dense>? _flashNoMask;   // the mask arguments of the dense mode (never read)

    // HIP_FLASH_DENSE=ldmatrix|plain picks the dense kernel for measurements (FlashDenseForm)
    private static readonly FlashDenseForm FlashDenseDefault =
        Enum.TryParse(Environment.GetEnvironmentVariable("HIP_FLASH_DENSE"), ignoreCase: true, out FlashDenseForm form) ? form : FlashDenseForm.Auto;

    /// <summary>
    /// The dense kernel <see cref="FlashAttentionPrefill"/> takes: on CUDA the ldmatrix one unless HIP_FLASH_DENSE names
    /// the plain one; on the CPU accelerator the plain one (the ldmatrix one runs there when asked for, for the tests).
    /// </summary>
    public FlashDenseForm FlashDenseKernel(FlashDenseForm form = FlashDenseForm.Auto)
    {
        if (form == FlashDenseForm.Auto)
            form = FlashDenseDefault;
        if (form == FlashDenseForm.Auto)
            form = _accelerator.AcceleratorType == AcceleratorType.Cuda ? FlashDenseForm.Ldmatrix : FlashDenseForm.Plain;
        return form;
    }

    /// <summary>
    /// Queries per group and KV head of <see cref="FlashAttentionPrefill"/>: 16 on the CPU accelerator; on CUDA groups of
    /// 8 warps (16 · 8 / (heads / kvHeads)); HIP_FLASH_QUERY_TILE (a multiple of 16) sets it for measurements.
    /// </summary>
    public int FlashQueryTile(int heads, int kvHeads)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("HIP_FLASH_QUERY_TILE"), out int tile) && ValidQueryTile(tile, heads, kvHeads))
            return tile;
        return _accelerator.AcceleratorType == AcceleratorType.Cuda ? FlashAttention.WarpQueries * Math.Max(1, 8 / (heads / kvHeads)) : FlashAttention.WarpQueries;
    }

    // a multiple of 16 queries, at most 32 warps a group (tile / 16 · heads / kvHeads)
    private static bool ValidQueryTile(int tile, int heads, int kvHeads) =>
        tile > 0 && tile % FlashAttention.WarpQueries == 0 && tile / FlashAttention.WarpQueries * (heads / kvHeads) <= 32;

    /// <summary>Compiles the tensor-core attention kernels now (they load on first use otherwise).</summary>
    public void PrepareFlashAttention()
    {
        if (_flash64 is not null)
            return;
        _flash64 = Load(FlashAttention.HeadDim64Kernel);
        _flash128 = Load(FlashAttention.HeadDim128Kernel);
        _flashLdmatrix64 = Load(FlashAttention.HeadDim64LdmatrixKernel);
        _flashLdmatrix128 = Load(FlashAttention.HeadDim128LdmatrixKernel);
        _flashNoMask = _accelerator.Allocate1D<int>(1);

        FlashLaunch Load(FlashEntry kernel) => _accelerator.LoadKernel(kernel);
    }

    /// <summary>
    /// Dense causal attention on tensor cores: o [tokens, heads·headDim] (float32) from q [tokens, heads·headDim]
    /// (float32, un-scaled, positions startPos .. startPos + tokens − 1, RoPE applied) over one layer's F16 caches
    /// kCache, vCache [blocks, kvHeads, 64, headDim] (<see cref="KvLayout"/>) holding positions 0 .. startPos + tokens − 1.
    /// headDim 64 or 128; heads / kvHeads at most 8. queryTile (a multiple of 16) overrides <see cref="FlashQueryTile"/>;
    /// form overrides <see cref="FlashDenseKernel"/> (the ldmatrix kernel needs groups of 8 warps, queryTile ·
    /// heads / kvHeads = 128; other groups take the plain kernel).
    /// </summary>
    public void FlashAttentionPrefill(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, int? queryTile = null,
        FlashDenseForm form = FlashDenseForm.Auto)
    {
        CheckFlashShapes(nameof(FlashAttentionPrefill), q, kCache, vCache, o, tokens, heads, kvHeads, headDim, startPos);
        if (heads / kvHeads > 8)
            throw new NotSupportedException($"FlashAttentionPrefill: heads / kvHeads = {heads / kvHeads}; at most 8 query heads share a KV head here (one warp each per 16 queries). Use the SIMT attention for this model.");
        PrepareFlashAttention();
        form = FlashDenseKernel(form);
        int tile = queryTile ?? FlashQueryTile(heads, kvHeads);
        if (!ValidQueryTile(tile, heads, kvHeads))
            throw new ArgumentOutOfRangeException(nameof(queryTile), tile, "FlashAttentionPrefill: the query tile must be a multiple of 16 with at most 32 warps a group (tile / 16 · heads / kvHeads).");
        var args = FlashAttention.Args.Dense(tokens, heads, kvHeads, startPos, scale, tile);
        int threads = args.Warps * _accelerator.WarpSize;
        if (form == FlashDenseForm.Ldmatrix && threads == FlashAttention.LdmatrixThreads)
        {
            var config = new KernelConfig(new Index1D(args.Groups), new Index1D(threads),
                SharedMemoryConfig.RequestDynamic<uint>(FlashAttention.LdmatrixSharedBytes(headDim) / sizeof(uint)));
            (headDim == 64 ? _flashLdmatrix64 : _flashLdmatrix128)!(_stream, config, q, kCache, vCache, o, _flashNoMask!.View, _flashNoMask.View, args);
        }
        else
        {
            (headDim == 64 ? _flash64 : _flash128)!(_stream, new KernelConfig(args.Groups, threads), q, kCache, vCache, o, _flashNoMask!.View, _flashNoMask.View, args);
        }
        Mark("Flash dense");
    }

    /// <summary>
    /// HiP block-sparse attention on tensor cores (sink + the mask's key blocks + window, HIP.md §3): shapes as
    /// <see cref="FlashAttentionPrefill"/>; indices [heads, queryBlocks, chunks] (key-block start positions) and counts
    /// [heads, queryBlocks] as <see cref="HipKernelSet.EstimateMask"/> writes them. options.BlockSizeQ a multiple of 16, at most 128.
    /// </summary>
    public void HipAttentionPrefill(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,
        ArrayView<int> indices, ArrayView<int> counts, int tokens, int heads, int kvHeads, int headDim, int startPos, float scale,
        HipAttentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckFlashShapes(nameof(HipAttentionPrefill), q, kCache, vCache, o, tokens, heads, kvHeads, headDim, startPos);
        if (options.BlockSizeQ % FlashAttention.WarpQueries != 0 || options.BlockSizeQ > 128)
            throw new ArgumentException($"HipAttentionPrefill: options.BlockSizeQ = {options.BlockSizeQ}; the tensor-core kernel needs a multiple of 16 up to 128.", nameof(options));
        var args = FlashAttention.Args.Hip(tokens, heads, kvHeads, startPos, scale, options);
        if (indices.Length < (long)heads * args.QueryBlocks * options.Chunks || counts.Length < (long)heads * args.QueryBlocks)
            throw new ArgumentException($"HipAttentionPrefill: mask buffers hold {indices.Length} indices and {counts.Length} counts; need {(long)heads * args.QueryBlocks * options.Chunks} and {(long)heads * args.QueryBlocks}.");
        PrepareFlashAttention();
        int threads = args.Warps * _accelerator.WarpSize;
        (headDim == 64 ? _flash64 : _flash128)!(_stream, new KernelConfig(args.Groups, threads), q, kCache, vCache, o, indices, counts, args);
        Mark("Flash HiP");
    }

    private void CheckFlashShapes(string what, ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache,
        ArrayView<float> o, int tokens, int heads, int kvHeads, int headDim, int startPos)
    {
        if (headDim != 64 && headDim != 128)
            throw new NotSupportedException($"{what}: headDim = {headDim}; the tensor-core kernels exist for 64 and 128.");
        if (tokens <= 0 || startPos < 0 || kvHeads <= 0 || heads <= 0 || heads % kvHeads != 0)
            throw new ArgumentException($"{what}: tokens = {tokens}, startPos = {startPos}, heads = {heads}, kvHeads = {kvHeads}; need tokens > 0, startPos ≥ 0 and heads a multiple of kvHeads.");
        if (_accelerator.WarpSize != 32)
            throw new NotSupportedException($"{what}: warp size {_accelerator.WarpSize}; the mma fragments need 32 lanes.");
        long rows = (long)tokens * heads * headDim, cache = KvLayout.LayerElements(startPos + tokens, kvHeads, headDim);
        if (q.Length < rows || o.Length < rows)
            throw new ArgumentException($"{what}: q holds {q.Length} and o {o.Length} floats; [tokens, heads·headDim] needs {rows}.");
        if (kCache.Length < cache || vCache.Length < cache)
            throw new ArgumentException($"{what}: kCache holds {kCache.Length} and vCache {vCache.Length} halves; positions 0 .. {startPos + tokens - 1} need {cache} ([blocks, kvHeads, 64, headDim]).");
    }
}

/// <summary>The dense tensor-core attention kernels of <see cref="KernelSet.FlashAttentionPrefill"/>.</summary>
public enum FlashDenseForm
{
    /// <summary>The accelerator's default (<see cref="KernelSet.FlashDenseKernel"/>).</summary>
    Auto,

    /// <summary>Each 64-key tile copied (V transposed) to shared memory by the whole group, then multiplied: any group size.</summary>
    Plain,

    /// <summary>
    /// The next 64-key tile loaded into registers during the current one's products, rows stored as they are, B fragments
    /// by ldmatrix: groups of 8 warps; CUDA's default.
    /// </summary>
    Ldmatrix,
}
