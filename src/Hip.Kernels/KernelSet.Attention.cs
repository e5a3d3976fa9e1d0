using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

// The attention family of KernelSet: RoPE, the KV-cache store, dense attention (warp-per-query prefill, split-K
// flash-decoding, per-thread CPU form) over a KvLayer of either precision, and the device position of a decode step.
public sealed partial class KernelSet
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int> _rope = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> _kvStoreF32 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, int, int, int> _kvStoreF16 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, float> _densePerThreadF32 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, int, int, int, int, float> _densePerThreadF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float> _denseWarpsF32 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float> _denseWarpsF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float> _partialF32 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float> _partialF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _attentionMerge = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<int>, int> _advancePosition = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<int>, int> _fillInts = null!;
    private MemoryBuffer1D<int, Stride1D.Dense> _noPosition = null!;   // [1]: the position argument of launches with a host startPos
    private MemoryBuffer1D<float, Stride1D.Dense>? _splitScratch;       // partial softmax state of split-K attention, grown on demand

    private const int SplitTargetWarps = 132 * 64;   // about 4 waves of 16 warps on each of an H100's 132 SMs
    private const int MinSplitKeys = 256;

    private void LoadAttentionKernels()
    {
        var a = _accelerator;
        _rope = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>(Kernels.Rope.Kernel);
        _kvStoreF32 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(Kernels.KvStore.Kernel<float, KvF32Element>);
        _kvStoreF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, int, int, int>(Kernels.KvStore.Kernel<ushort, KvF16Element>);
        _densePerThreadF32 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, float>(Kernels.DenseAttention.PerThreadKernel<float, KvF32Element>);
        _densePerThreadF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, int, int, int, int, float>(Kernels.DenseAttention.PerThreadKernel<ushort, KvF16Element>);
        _denseWarpsF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float>(Kernels.DenseAttention.Kernel<float, KvF32Element>);
        _denseWarpsF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float>(Kernels.DenseAttention.Kernel<ushort, KvF16Element>);
        _partialF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float>(DenseAttentionSplitK.PartialKernel<float, KvF32Element>);
        _partialF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, float>(DenseAttentionSplitK.PartialKernel<ushort, KvF16Element>);
        _attentionMerge = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(DenseAttentionSplitK.MergeKernel);
        _advancePosition = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, int>(KvPosition.AdvanceKernel);
        _fillInts = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, int>(KvPosition.FillKernel);
        _noPosition = a.Allocate1D<int>(1);
        _noPosition.MemSetToZero();
    }

    // the position view a launch passes: the caller's device int when startPos is OnDevice, a dummy otherwise
    private ArrayView<int> PositionArgument(int startPos, ArrayView<int> position)
    {
        Debug.Assert(startPos >= 0 || (position.IsValid && position.Length >= 1), "startPos is KvPosition.OnDevice but no device position was given");
        return position.IsValid ? position : _noPosition.View;
    }

    /// <summary>
    /// RoPE in place on q [tokens, heads·headDim] and k [tokens, kvHeads·headDim]; token t at startPos + t, or at
    /// position[0] + t when startPos is <see cref="KvPosition.OnDevice"/>.
    /// </summary>
    public void Rope(ArrayView<float> q, ArrayView<float> k, ArrayView<float> cos, ArrayView<float> sin,
        int tokens, int heads, int kvHeads, int headDim, int startPos, RopeLayout layout, ArrayView<int> position = default)
    {
        Debug.Assert(startPos < 0 || cos.Length >= (long)(startPos + tokens) * (headDim / 2), "Rope: table shorter than the positions");
        _rope(_stream, tokens * (heads + kvHeads) * (headDim / 2), q, k, cos, sin, PositionArgument(startPos, position),
            heads, kvHeads, headDim, startPos, layout == RopeLayout.RotateHalf ? 1 : 0);
        Mark("Rope");
    }

    /// <summary>
    /// Stores k, v [tokens, kvHeads·headDim] into one layer's cache (block layout, its precision) at startPos, or at
    /// position[0] when startPos is <see cref="KvPosition.OnDevice"/>.
    /// </summary>
    public void KvStore(ArrayView<float> k, ArrayView<float> v, KvLayer cache, int tokens, int kvHeads, int headDim, int startPos,
        ArrayView<int> position = default)
    {
        Debug.Assert(startPos + tokens <= cache.Capacity && cache.Elements >= KvLayout.LayerElements(cache.Capacity, kvHeads, headDim),
            "KvStore: past the cache capacity");
        var p = PositionArgument(startPos, position);
        int n = tokens * kvHeads * headDim;
        if (cache.Precision == KvPrecision.F32)
            _kvStoreF32(_stream, n, k, v, cache.KeysF32, cache.ValuesF32, p, kvHeads, headDim, startPos);
        else
            _kvStoreF16(_stream, n, k, v, cache.KeysF16, cache.ValuesF16, p, kvHeads, headDim, startPos);
        Mark("KvStore");
    }

    /// <summary>
    /// Causal dense attention of q [tokens, heads·headDim] over one layer's cache; o like q. Query t sits at startPos + t,
    /// or at position[0] + t when startPos is <see cref="KvPosition.OnDevice"/>: then the GPU form is the split-K one with a
    /// split count fixed by the cache capacity, so every decode step launches the same kernels with the same arguments.
    /// </summary>
    public void DenseAttention(ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, ArrayView<int> position = default)
    {
        Debug.Assert(headDim <= Kernels.DenseAttention.MaxHeadDim && heads % kvHeads == 0, "DenseAttention: shapes");
        var p = PositionArgument(startPos, position);
        if (Variant == KernelVariant.PerThread)
        {
            int n = tokens * heads * headDim;
            if (cache.Precision == KvPrecision.F32)
                _densePerThreadF32(_stream, n, q, cache.KeysF32, cache.ValuesF32, o, p, heads, kvHeads, headDim, startPos, scale);
            else
                _densePerThreadF16(_stream, n, q, cache.KeysF16, cache.ValuesF16, o, p, heads, kvHeads, headDim, startPos, scale);
            return;
        }
        int rows = tokens * heads;
        if (startPos >= 0 && rows >= SplitTargetWarps || headDim % 4 != 0)
        {
            // (the split form reads rows as 4-element vectors; head dims not a multiple of 4 take the warp form)
            // enough (query, head) warps to fill the GPU: one warp each, no partials (measured faster for prefill)
            DenseAttentionWarps(q, cache, o, tokens, heads, kvHeads, headDim, startPos, scale);
            return;
        }
        // Flash-decoding: enough splits that tokens * heads * splits warps fill the GPU, at least 256 keys a split (of the
        // keys seen, or of the capacity when the position is on the device).
        int keys = startPos >= 0 ? startPos + tokens : cache.Capacity;
        int splits = Math.Clamp(CeilDiv(SplitTargetWarps, rows), 1, Math.Max(1, keys / MinSplitKeys));
        DenseAttentionSplit(q, cache, o, tokens, heads, kvHeads, headDim, startPos, scale, splits, p);
    }

    /// <summary>The GPU's prefill form of <see cref="DenseAttention"/>: one warp per (query, head).</summary>
    internal void DenseAttentionWarps(ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, ArrayView<int> position = default)
    {
        var config = new KernelConfig(CeilDiv((long)tokens * heads, _warpsPerGroup), _warpsPerGroup * _accelerator.WarpSize);
        var p = PositionArgument(startPos, position);
        if (cache.Precision == KvPrecision.F32)
            _denseWarpsF32(_stream, config, q, cache.KeysF32, cache.ValuesF32, o, p, tokens, heads, kvHeads, headDim, startPos, scale);
        else
            _denseWarpsF16(_stream, config, q, cache.KeysF16, cache.ValuesF16, o, p, tokens, heads, kvHeads, headDim, startPos, scale);
    }

    /// <summary>The GPU's decode form of <see cref="DenseAttention"/>: the keys cut into <paramref name="splits"/> parts, then merged.</summary>
    internal void DenseAttentionSplit(ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, int splits, ArrayView<int> position = default)
    {
        Debug.Assert(headDim % 4 == 0, "DenseAttentionSplit: head dim a multiple of 4");
        int rows = tokens * heads;
        long rowSlots = (long)rows * splits;
        var scratch = Scratch(rowSlots * (headDim + 2));
        var partialMax = scratch.SubView(0, rowSlots);
        var partialSum = scratch.SubView(rowSlots, rowSlots);
        var partialAcc = scratch.SubView(2 * rowSlots, rowSlots * headDim);
        var config = new KernelConfig(new Index2D(CeilDiv(rows, _warpsPerGroup), splits), new Index2D(_warpsPerGroup * _accelerator.WarpSize, 1));
        var p = PositionArgument(startPos, position);
        if (cache.Precision == KvPrecision.F32)
            _partialF32(_stream, config, q, cache.KeysF32, cache.ValuesF32, partialMax, partialSum, partialAcc, p, tokens, heads, kvHeads, headDim, startPos, scale);
        else
            _partialF16(_stream, config, q, cache.KeysF16, cache.ValuesF16, partialMax, partialSum, partialAcc, p, tokens, heads, kvHeads, headDim, startPos, scale);
        _attentionMerge(_stream, new KernelConfig(CeilDiv(rows, _warpsPerGroup), _warpsPerGroup * _accelerator.WarpSize),
            partialMax, partialSum, partialAcc, o, rows, headDim, splits);
        Profile?.Mark($"DenseAttention split {splits}");   // formatted only when profiling
    }

    /// <summary>position[0] += tokens on the device: the last launch of a graph-replayed decode step.</summary>
    public void AdvancePosition(ArrayView<int> position, int tokens = 1)
    {
        Debug.Assert(position.Length >= 1, "AdvancePosition: empty position");
        _advancePosition(_stream, 1, position, tokens);
        Mark("AdvancePosition");
    }

    /// <summary>Every element of values = value, on the stream (device position after a prefill, HiP refresh origins).</summary>
    public void Fill(ArrayView<int> values, int value)
    {
        if (values.Length > 0)
            _fillInts(_stream, checked((int)values.Length), values, value);
    }

    private ArrayView<float> Scratch(long length) => DeviceScratch.Grow(_accelerator, _stream, ref _splitScratch, length, minimum: 1 << 16);
}
