namespace Hip.Inference;

/// <summary>Why a generation ended.</summary>
public enum GenerationFinish
{
    /// <summary>Still running, or never started.</summary>
    None,
    /// <summary>The model's end-of-sequence token, or a token constraint completed.</summary>
    Stop,
    /// <summary>SamplingParams.MaxTokens was reached.</summary>
    MaxTokens,
    /// <summary>The KV cache (EngineOptions.ContextLength) is full.</summary>
    ContextFull,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>Filled in by <see cref="InferenceEngine.GenerateAsync(IReadOnlyList{int}, SamplingParams, GenerationStatus?, CancellationToken)"/> as it runs.</summary>
public sealed class GenerationStatus
{
    /// <summary>Reports the prompt tokens whose keys and values are in the cache, after each prefill chunk (reused ones included).</summary>
    public IProgress<int>? PrefillProgress { get; init; }

    public GenerationFinish Finish { get; internal set; }
    public int PromptTokens { get; internal set; }
    /// <summary>Prompt tokens whose keys and values were reused from the prefix cache instead of prefilled.</summary>
    public int CachedPromptTokens { get; internal set; }
    public int GeneratedTokens { get; internal set; }
    /// <summary>Time spent waiting for earlier requests.</summary>
    public TimeSpan QueueTime { get; internal set; }
    /// <summary>Time to prefill the uncached part of the prompt.</summary>
    public TimeSpan PrefillTime { get; internal set; }
}
