namespace Hip.Inference;

/// <summary>Per-request decoding settings. Temperature 0 is greedy (argmax on the device).</summary>
public sealed record SamplingParams
{
    /// <summary>
    /// Temperatures below this act greedily (argmax): dividing logits by a smaller one only amplifies rounding, and
    /// 1/T overflows float for T below about 3e-39.
    /// </summary>
    public const float GreedyBelowTemperature = 1e-4f;

    /// <summary>Softmax temperature: higher is more random; 0 (or anything below <see cref="GreedyBelowTemperature"/>) is greedy.</summary>
    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep only the K most likely tokens; 0 turns it off.</summary>
    public int TopK { get; init; }
    /// <summary>Nucleus sampling: keep the smallest set whose probability reaches P; 1 turns it off.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less likely than MinP times the most likely one; 0 turns it off.</summary>
    public float MinP { get; init; }
    /// <summary>Subtracted from a token's logit once per earlier occurrence in the output.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Subtracted from a token's logit once if it occurred in the output.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>Fixes the random stream: the same seed, prompt and settings give the same tokens.</summary>
    public int? Seed { get; init; }
    public int MaxTokens { get; init; } = 256;
    /// <summary>End at the model's end-of-sequence token (not emitted).</summary>
    public bool StopAtEndOfSequence { get; init; } = true;

    /// <summary>Restricts the tokens that may come next (JSON schemas, tool calls); stateful, so one per request.</summary>
    public ITokenConstraint? Constraint { get; init; }

    public static SamplingParams Greedy { get; } = new() { Temperature = 0f };

    /// <summary>True when the pick is the most likely token: a temperature below <see cref="GreedyBelowTemperature"/>.</summary>
    public bool IsGreedy => Temperature < GreedyBelowTemperature;
    /// <summary>True when every draw can be the device's argmax (no host-side logit changes).</summary>
    internal bool IsDeviceGreedy => IsGreedy && FrequencyPenalty == 0f && PresencePenalty == 0f && Constraint is null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a finite number ≥ 0 (0 = greedy).");
        if (TopK < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be ≥ 0 (0 = off).");
        if (!(TopP > 0f && TopP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1] (1 = off).");
        if (!(MinP >= 0f && MinP < 1f))
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "MinP must be in [0, 1) (0 = off).");
        if (!float.IsFinite(FrequencyPenalty))
            throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "FrequencyPenalty must be finite.");
        if (!float.IsFinite(PresencePenalty))
            throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "PresencePenalty must be finite.");
        if (MaxTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be > 0.");
    }
}
