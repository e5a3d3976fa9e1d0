using Hip.Kernels;

namespace Hip.Inference;

/// <summary>What an architecture's model is built from.</summary>
public sealed record ModelParts(KernelSet Kernels, ModelConfig Config, ModelWeights Weights, int MaxPositions, int MaxBatch,
    Func<int, IAttentionPolicy> Attention);
