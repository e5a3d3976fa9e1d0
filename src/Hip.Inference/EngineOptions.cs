using Hip.Kernels;

namespace Hip.Inference;

/// <summary>Which attention the model's layers use.</summary>
public enum AttentionKind
{
    /// <summary>Exact attention over every cached key in every layer.</summary>
    Dense,
    /// <summary>HiP sparse attention (dense in the first layers; see the HiP options).</summary>
    Hip,
}

/// <summary>Runtime settings of an <see cref="InferenceEngine"/>, checked once at start-up.</summary>
public sealed record EngineOptions
{
    /// <summary>KV-cache positions (prompt + output); null takes the model's trained context length.</summary>
    public int? ContextLength { get; init; }
    public AttentionKind Attention { get; init; } = AttentionKind.Dense;
    /// <summary>HiP's settings (k, block sizes, sink, window, refresh interval, dense layers), used when Attention is Hip.</summary>
    public HipAttentionOptions Hip { get; init; } = new();
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>How the KV cache stores keys and values: F16 (half the memory; float32 arithmetic) or F32 (exact, for golden tests).</summary>
    public KvPrecision KvPrecision { get; init; } = KvPrecision.F16;
    /// <summary>Most prompt tokens per forward pass; null picks 4096 on CUDA (larger GEMMs and mask launches; measured in docs/benchmarks.md), 32 on the CPU accelerator.</summary>
    public int? PrefillChunk { get; init; }
    /// <summary>
    /// KV caches kept for prefix reuse: each holds a whole context, and a request reuses the longest matching prefix
    /// (earlier turns, shared system prompts). More slots keep more conversations warm at the cost of memory.
    /// </summary>
    public int PrefixCacheSlots { get; init; } = 1;
    /// <summary>A SentencePiece .model for checkpoints without a tokenizer inside (llama2.c .bin).</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (mostly <see cref="ArgumentOutOfRangeException"/>) naming the first invalid
    /// setting; a HiP setting is named <c>Hip.Name</c>. The one place these rules live (HipChatClientOptions delegates here).
    /// </summary>
    public void Validate()
    {
        if (ContextLength is int length && length <= 0)
            throw new ArgumentOutOfRangeException(nameof(ContextLength), length, "ContextLength must be > 0 (or null for the model's own).");
        if (PrefillChunk is int chunk && chunk <= 0)
            throw new ArgumentOutOfRangeException(nameof(PrefillChunk), chunk, "PrefillChunk must be > 0 (or null for the default).");
        if (PrefixCacheSlots is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(PrefixCacheSlots), PrefixCacheSlots, "PrefixCacheSlots must be between 1 and 64.");
        if (!Enum.IsDefined(Attention))
            throw new ArgumentOutOfRangeException(nameof(Attention), Attention, "Attention must be Dense or Hip.");
        if (!Enum.IsDefined(Device))
            throw new ArgumentOutOfRangeException(nameof(Device), Device, "Device must be Auto, Cuda or Cpu.");
        if (Hip is null)
            throw new ArgumentNullException(nameof(Hip), "Hip must not be null (its settings are used when Attention is Hip).");
        if (!Enum.IsDefined(KvPrecision))
            throw new ArgumentOutOfRangeException(nameof(KvPrecision), KvPrecision, "KvPrecision must be F16 or F32.");
        if (Attention == AttentionKind.Hip)
        {
            try
            {
                Hip.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Hip: {e.Message}", $"{nameof(Hip)}.{e.ParamName}", e);
            }
        }
    }
}
