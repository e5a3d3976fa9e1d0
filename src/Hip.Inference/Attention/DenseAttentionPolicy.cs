using Hip.Kernels;
using ILGPU;

namespace Hip.Inference;

/// <summary>Exact causal attention over every cached key.</summary>
public sealed class DenseAttentionPolicy(KernelSet kernels, ModelConfig config) : IAttentionPolicy
{
    private readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);

    public void Run(int layer, ArrayView<float> q, KvCache cache, int tokens, int startPos, ArrayView<float> o)
    {
        var (h, g, d) = (config.HeadCount, config.KvHeadCount, config.HeadDim);
        if (!kernels.TryFlashAttentionPrefill(q, cache.Layer(layer), o, tokens, h, g, d, startPos, _scale))   // tensor cores (prefill on CUDA)
            kernels.DenseAttention(q, cache.Layer(layer), o, tokens, h, g, d, startPos, _scale, cache.Position);
    }

    public void Reset() { }
}
