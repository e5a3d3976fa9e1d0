using Hip.Kernels;
using ILGPU;

namespace Hip.Inference;

/// <summary>
/// A causal language model on the device, whatever its architecture: the engine, the prefix cache and the tools use
/// only this. Tokens go in through <see cref="SetTokens"/> (prompts) or stay on the device (<see cref="ArgMaxToInput"/>,
/// greedy decode); the next-token logits of the last forwarded position land in <see cref="Logits"/>.
/// </summary>
public interface ILanguageModel : IDisposable
{
    /// <summary>The validated shape.</summary>
    ModelConfig Config { get; }

    /// <summary>The kernels (and their stream) the model runs on.</summary>
    KernelSet Kernels { get; }

    /// <summary>The most tokens one <see cref="Forward"/> call takes (longer prompts are fed in chunks).</summary>
    int MaxBatch { get; }

    /// <summary>Positions the RoPE tables cover; caches may not be longer.</summary>
    int MaxPositions { get; }

    /// <summary>Device bytes of the weights.</summary>
    long WeightBytes { get; }

    /// <summary>Next-token logits of the last forwarded position: [vocab].</summary>
    ArrayView<float> Logits { get; }

    /// <summary>How the last decode step ran: "CUDA graph", or "eager" with the reason.</summary>
    string DecodeGraphStatus { get; }

    /// <summary>A KV cache shaped for this model.</summary>
    KvCache CreateCache(int capacity);

    /// <summary>Copies up to <see cref="MaxBatch"/> token ids to the device input slots.</summary>
    void SetTokens(ReadOnlySpan<int> tokens);

    /// <summary>Runs the input slots 0 .. count − 1 at the cache's next positions and appends their keys and values.</summary>
    void Forward(int count, KvCache cache);

    /// <summary>Greedy step: writes argmax(logits) into input slot 0 for the next forward pass and returns it.</summary>
    int ArgMaxToInput();

    /// <summary>Copies the logits to the host (samplers that need the whole row).</summary>
    void ReadLogits(Span<float> destination);
}
