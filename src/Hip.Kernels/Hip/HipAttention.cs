using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// HiP (Gen2) attention for the layers a model runs sparse (which layers stay dense is the caller's per-layer choice,
/// see <c>HipAttentionOptions.DenseLayers</c>): estimate a block mask per (head, query block) and run block-sparse
/// attention over sink + selected blocks + window. A batch of several tokens is a prefill (mask for each query block,
/// no caching); one token is a decode step, whose mask is cached per layer in a <see cref="HipDecodeState"/> and
/// refreshed on the device every RefreshInterval steps. Everything stays on the device: 2 launches a prefill layer
/// (+1 marking the refresh origin), 2–3 a decode layer (mask kernel that may return at once, attention, split merge),
/// the same every decode step, with the position read from the device when the caller passes <see cref="KvPosition.OnDevice"/>.
/// </summary>
public sealed class HipAttention : IDisposable
{
    private readonly KernelSet _kernels;
    private readonly HipKernelSet _hip;
    private readonly HipAttentionOptions _options;
    private readonly int _heads;
    private MemoryBuffer1D<int, Stride1D.Dense>? _maskIndices;   // prefill scratch: [heads, queryBlocks, chunks]
    private MemoryBuffer1D<int, Stride1D.Dense>? _maskCounts;    // [heads, queryBlocks]
    private MemoryBuffer1D<float, Stride1D.Dense>? _partials;    // [tokens·heads, splits, headDim + 2]

    /// <summary>HiP for a model of <paramref name="layerCount"/> layers and <paramref name="heads"/> query heads.</summary>
    public HipAttention(KernelSet kernels, HipAttentionOptions options, int layerCount, int heads)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        _options = options.Validate();
        _kernels = kernels;
        _hip = new HipKernelSet(kernels.Accelerator, kernels.Stream, kernels.Profile, kernels.TensorCores);
        _heads = heads;
        State = CreateState(layerCount);
    }

    public HipAttentionOptions Options => _options;

    /// <summary>The HiP kernels this instance launches.</summary>
    public HipKernelSet HipKernels => _hip;

    /// <summary>The decode state the overload without one uses (one sequence).</summary>
    public HipDecodeState State { get; }

    /// <summary>A decode state for another sequence (the caller disposes it).</summary>
    public HipDecodeState CreateState(int layerCount) => new(_hip, layerCount, _heads, _options);

    /// <summary>
    /// Attention of q [tokens, heads·headDim] (positions startPos .., or position[0] .. when startPos is
    /// <see cref="KvPosition.OnDevice"/>, decode only) over layer l's cache (keys RoPE-rotated, positions up to the last
    /// query filled) into o like q, with the built-in decode state.
    /// </summary>
    public void Run(int layer, ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, ArrayView<int> position = default) =>
        Run(State, layer, q, cache, o, tokens, heads, kvHeads, headDim, startPos, scale, position);

    /// <summary>As the other overload, with the decode masks of <paramref name="state"/> (one state per sequence).</summary>
    public void Run(HipDecodeState state, int layer, ArrayView<float> q, KvLayer cache, ArrayView<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, ArrayView<int> position = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        Debug.Assert(heads == _heads && layer < state.LayerCount && tokens >= 1, "HipAttention.Run: heads or layer");
        int splits = _hip.ChooseSplits(tokens, heads, _options);
        var partials = Ensure(ref _partials, HipKernelSet.PartialsLength(tokens, heads, headDim, splits));
        if (tokens == 1)
        {
            // decode: cached mask, refreshed on the device every RefreshInterval steps (docs/hip.md)
            var indices = state.Indices(layer);
            var counts = state.Counts(layer);
            _hip.EstimateDecodeMask(q, cache, indices, counts, state.Origins, layer, heads, kvHeads, headDim, startPos, _options, position);
            _hip.BlockSparseAttention(q, cache, o, indices, counts, partials, 1, heads, kvHeads, headDim,
                startPos, scale, _options, splits, position);
            return;
        }

        // prefill: a mask per query block, no caching
        if (startPos < 0)
            throw new ArgumentOutOfRangeException(nameof(startPos), startPos, "A prefill (tokens > 1) takes its start position from the host.");
        var maskIndices = Ensure(ref _maskIndices, HipKernelSet.MaskLength(tokens, heads, _options));
        var maskCounts = Ensure(ref _maskCounts, (long)heads * HipKernelSet.QueryBlocks(tokens, _options));
        _hip.EstimateMask(q, cache, maskIndices, maskCounts, tokens, heads, kvHeads, headDim, startPos, _options);
        if (!_kernels.TryHipAttentionPrefill(q, cache, o, maskIndices, maskCounts, tokens, heads, kvHeads, headDim, startPos, scale, _options))
            _hip.BlockSparseAttention(q, cache, o, maskIndices, maskCounts, partials, tokens, heads, kvHeads, headDim,
                startPos, scale, _options, splits);
        state.MarkPrefilled(layer, startPos + tokens);
    }

    // grows a scratch buffer (rarely: the largest batch so far); waits for queued kernels before freeing the old one
    private ArrayView<T> Ensure<T>(ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, long length) where T : unmanaged =>
        DeviceScratch.Grow(_kernels.Accelerator, _kernels.Stream, ref buffer, Math.Max(1, length));

    public void Dispose()
    {
        State.Dispose();
        _maskIndices?.Dispose();
        _maskCounts?.Dispose();
        _partials?.Dispose();
        _hip.Dispose();
    }
}
