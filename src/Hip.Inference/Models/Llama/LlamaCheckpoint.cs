namespace Hip.Inference;

/// <summary>A Llama-family model file read into host memory: its config, its weights and its metadata.</summary>
public sealed class LlamaCheckpoint
{
    /// <summary>The file the checkpoint was read from.</summary>
    public required string Path { get; init; }

    /// <summary>"gguf" or "llama2.c".</summary>
    public required string FileFormat { get; init; }

    /// <summary>The validated model shape.</summary>
    public required LlamaConfig Config { get; init; }

    /// <summary>Token embedding. [vocab, dim]</summary>
    public required HostTensor TokenEmbedding { get; init; }

    /// <summary>Final RMS norm weight. [1, dim], F32.</summary>
    public required HostTensor OutputNorm { get; init; }

    /// <summary>Classifier [vocab, dim]; null when it is tied to <see cref="TokenEmbedding"/>.</summary>
    public HostTensor? Output { get; init; }

    /// <summary>One entry per transformer block.</summary>
    public required IReadOnlyList<LlamaLayerTensors> Layers { get; init; }

    /// <summary>GGUF key-values (tokenizer data included); empty for llama2.c checkpoints.</summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }

    /// <summary>Size of the file in bytes.</summary>
    public required long FileBytes { get; init; }
}
