using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// One sequence's decode masks (docs/hip.md), all on the device: per layer the last mask of the single decode query,
/// indices [heads, chunks] and counts [heads], and the position at which it was computed (its refresh origin). A decode
/// step recomputes the mask when its position is a multiple of RefreshInterval past the origin (the first step after
/// a prefill or <see cref="Reset"/> included) and reuses it in between; the keys that arrive meanwhile are covered by the
/// sliding window, which always follows the current position. The decision is taken on the device
/// (<see cref="HipKernelSet.EstimateDecodeMask"/>), so a decode step is the same launches every time.
/// </summary>
public sealed class HipDecodeState : IDisposable
{
    private readonly HipKernelSet _kernels;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _indices;   // [layers, heads, chunks]
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _counts;    // [layers, heads]
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _origins;   // [layers]: position of the last refresh, −1: refresh next step
    private readonly int _heads, _chunks;

    /// <summary>Masks for <paramref name="layerCount"/> layers of <paramref name="heads"/> query heads; every layer refreshes on its first decode step.</summary>
    public HipDecodeState(HipKernelSet kernels, int layerCount, int heads, HipAttentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        options.Validate();
        _kernels = kernels;
        _heads = heads;
        _chunks = options.Chunks;
        LayerCount = layerCount;
        var accelerator = kernels.Accelerator;
        _indices = accelerator.Allocate1D<int>((long)layerCount * heads * _chunks);
        _counts = accelerator.Allocate1D<int>((long)layerCount * heads);
        _origins = accelerator.Allocate1D<int>(layerCount);
        Reset();
    }

    /// <summary>Layers this state holds masks for.</summary>
    public int LayerCount { get; }

    /// <summary>Layer l's cached mask indices [heads, chunks] (token offsets of key blocks, sorted).</summary>
    public ArrayView<int> Indices(int layer) => _indices.View.SubView((long)layer * _heads * _chunks, (long)_heads * _chunks);

    /// <summary>Layer l's cached mask counts [heads].</summary>
    public ArrayView<int> Counts(int layer) => _counts.View.SubView((long)layer * _heads, _heads);

    /// <summary>The refresh origins [layers] the decode mask kernel reads and writes.</summary>
    public ArrayView<int> Origins => _origins.View;

    /// <summary>After a prefill of layer l ending at position <paramref name="end"/>: the decode step at end recomputes the mask.</summary>
    public void MarkPrefilled(int layer, int end) => _kernels.Fill(_origins.View.SubView(layer, 1), end);

    /// <summary>A new sequence: every layer recomputes its mask on the next decode step.</summary>
    public void Reset() => _kernels.Fill(_origins.View, -1);

    public void Dispose()
    {
        _indices.Dispose();
        _counts.Dispose();
        _origins.Dispose();
    }
}
