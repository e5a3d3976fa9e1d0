namespace Hip.Inference;

/// <summary>The host weights of one transformer block; shapes are [rows, cols] with cols contiguous.</summary>
public sealed class LlamaLayerTensors
{
    /// <summary>RMS norm weight before attention. [1, dim], F32.</summary>
    public required HostTensor AttentionNorm { get; init; }

    /// <summary>Query projection. [dim, dim]</summary>
    public required HostTensor Wq { get; init; }

    /// <summary>Key projection. [kvDim, dim]</summary>
    public required HostTensor Wk { get; init; }

    /// <summary>Value projection. [kvDim, dim]</summary>
    public required HostTensor Wv { get; init; }

    /// <summary>Attention output projection. [dim, dim]</summary>
    public required HostTensor Wo { get; init; }

    /// <summary>RMS norm weight before the feed-forward layer. [1, dim], F32.</summary>
    public required HostTensor FfnNorm { get; init; }

    /// <summary>Feed-forward gate projection (llama2.c w1, GGUF ffn_gate). [hiddenDim, dim]</summary>
    public required HostTensor W1 { get; init; }

    /// <summary>Feed-forward down projection (llama2.c w2, GGUF ffn_down). [dim, hiddenDim]</summary>
    public required HostTensor W2 { get; init; }

    /// <summary>Feed-forward up projection (llama2.c w3, GGUF ffn_up). [hiddenDim, dim]</summary>
    public required HostTensor W3 { get; init; }
}
