using ILGPU;

namespace Hip.Inference;

/// <summary>How one layer attends: chosen per layer when the model is built (dense or HiP), used by prefill and decode.</summary>
public interface IAttentionPolicy
{
    /// <summary>
    /// o = attention of q over the layer's cache for tokens at startPos .. startPos + tokens − 1 (already stored).
    /// startPos may be <see cref="Hip.Kernels.KvPosition.OnDevice"/> for a one-token decode step: the kernels then read
    /// the position from <see cref="KvCache.Position"/>, so the step's launches are the same every time (graph replay).
    /// q, o: [tokens, heads · headDim].
    /// </summary>
    void Run(int layer, ArrayView<float> q, KvCache cache, int tokens, int startPos, ArrayView<float> o);

    /// <summary>Called when the cache is cleared or rewound, so cached per-sequence state (masks) is dropped.</summary>
    void Reset();
}
