using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// The one place that decides how each layer attends: dense everywhere, or HiP with its first
/// <see cref="HipAttentionOptions.DenseLayers"/> layers dense (HIP.md §5.2).
/// </summary>
public static class AttentionPolicies
{
    /// <summary>The policy of each layer for a model of <paramref name="config"/>'s shape; the model disposes them.</summary>
    public static Func<int, IAttentionPolicy> Create(KernelSet kernels, ModelConfig config, AttentionKind kind, HipAttentionOptions hip)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(hip);
        var dense = new DenseAttentionPolicy(kernels, config);
        if (kind == AttentionKind.Dense || hip.DenseLayers >= config.LayerCount)
            return _ => dense;
        var sparse = new HipAttentionPolicy(kernels, config, hip);
        return layer => layer < hip.DenseLayers ? dense : sparse;
    }
}
