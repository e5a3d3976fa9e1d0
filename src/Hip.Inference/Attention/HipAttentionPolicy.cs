using Hip.Kernels;
using ILGPU;

namespace Hip.Inference;

/// <summary>
/// HiP sparse attention for the layers given to it (which layers stay dense is chosen per layer, see
/// <see cref="AttentionPolicies"/>). One instance serves all its layers; its decode masks belong to the sequence being
/// extended and are dropped by <see cref="Reset"/>.
/// </summary>
public sealed class HipAttentionPolicy : IAttentionPolicy, IDisposable
{
    private readonly HipAttention _hip;
    private readonly ModelConfig _config;
    private readonly float _scale;

    public HipAttentionPolicy(KernelSet kernels, ModelConfig config, HipAttentionOptions options)
    {
        _config = config;
        _scale = 1f / MathF.Sqrt(config.HeadDim);
        _hip = new HipAttention(kernels, options, config.LayerCount, config.HeadCount);
    }

    public HipAttentionOptions Options => _hip.Options;

    public void Run(int layer, ArrayView<float> q, KvCache cache, int tokens, int startPos, ArrayView<float> o) =>
        _hip.Run(layer, q, cache.Layer(layer), o, tokens, _config.HeadCount, _config.KvHeadCount, _config.HeadDim,
            startPos, _scale, cache.Position);

    public void Reset() => _hip.State.Reset();

    public void Dispose() => _hip.Dispose();
}
