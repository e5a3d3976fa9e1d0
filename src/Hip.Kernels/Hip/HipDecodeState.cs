using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// One sequence's decode masks (docs/hip.md, prefill and decode): per layer the last mask of the single decode query, indices [heads, chunks]
/// and counts [heads] on the device, and the decode steps since it was computed. The mask is recomputed every
/// RefreshInterval decode steps (step 0 after a prefill or <see cref="Reset"/> included) and reused in between; the
/// keys that arrive meanwhile are covered by the sliding window, which always follows the current position.
/// </summary>
public sealed class HipDecodeState : IDisposable
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _indices;   // [layers, heads, chunks]
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _counts;    // [layers, heads]
    private readonly int[] _steps;                                   // decode steps since the last refresh, per layer
    private readonly int _heads, _chunks, _refreshInterval;

    public HipDecodeState(Accelerator accelerator, int layerCount, int heads, HipAttentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        options.Validate();
        _heads = heads;
        _chunks = options.Chunks;
        _refreshInterval = options.RefreshInterval;
        _indices = accelerator.Allocate1D<int>((long)layerCount * heads * _chunks);
        _counts = accelerator.Allocate1D<int>((long)layerCount * heads);
        _steps = new int[layerCount];
    }

    public int LayerCount => _steps.Length;

    /// <summary>Layer l's cached mask indices [heads, chunks] (token offsets of key blocks, sorted).</summary>
    public ArrayView<int> Indices(int layer) => _indices.View.SubView((long)layer * _heads * _chunks, (long)_heads * _chunks);

    /// <summary>Layer l's cached mask counts [heads].</summary>
    public ArrayView<int> Counts(int layer) => _counts.View.SubView((long)layer * _heads, _heads);

    /// <summary>Decode steps layer l has taken since its mask was last computed (0: the next step recomputes).</summary>
    public int StepsSinceRefresh(int layer) => _steps[layer] % _refreshInterval;

    /// <summary>Whether this decode step of layer l must recompute the mask; advances the layer's step counter.</summary>
    public bool NextStepRefreshes(int layer)
    {
        bool refresh = _steps[layer] % _refreshInterval == 0;
        _steps[layer] = (_steps[layer] + 1) % _refreshInterval;
        return refresh;
    }

    /// <summary>After a prefill of layer l: its next decode step recomputes the mask.</summary>
    public void MarkPrefilled(int layer) => _steps[layer] = 0;

    /// <summary>A new sequence: every layer recomputes its mask on the next decode step.</summary>
    public void Reset() => Array.Clear(_steps);

    public void Dispose()
    {
        _indices.Dispose();
        _counts.Dispose();
    }
}
