namespace Hip.Inference;

/// <summary>
/// The model produced logits that cannot be sampled: a NaN or +∞ somewhere in the row, or every token at -∞. This
/// means the weights or the computation went wrong (a corrupt or badly quantised file, an overflow), not the request;
/// the generation stops rather than emit a token chosen from garbage.
/// </summary>
public sealed class NonFiniteLogitsException : InvalidOperationException
{
    /// <summary>Describes the offending value at <paramref name="tokenId"/> and, when known, the sequence position.</summary>
    public NonFiniteLogitsException(int? position, int tokenId, float value)
        : base($"The model's logits {(position is int p ? $"at position {p} " : "")}are not finite: token {tokenId} has {Describe(value)}. " +
               "The weights or the computation produced NaN or infinity (a corrupt or badly converted model file, or an overflow); " +
               "check the model file, or try another quantisation or device.")
    {
        Position = position;
        TokenId = tokenId;
        Value = value;
    }

    /// <summary>The sequence position whose next token was being chosen (prompt tokens count), or null when not known.</summary>
    public int? Position { get; }

    /// <summary>The token whose logit is not usable (the first NaN or +∞, or 0 when every logit is -∞).</summary>
    public int TokenId { get; }

    /// <summary>The logit found at <see cref="TokenId"/>.</summary>
    public float Value { get; }

    /// <summary>
    /// Throws when <paramref name="logits"/> holds a NaN or +∞, or only -∞ (-∞ alone marks a token as impossible and is
    /// allowed). One pass over the row.
    /// </summary>
    public static void ThrowIfNotSamplable(ReadOnlySpan<float> logits, int? position)
    {
        bool anyAboveNegativeInfinity = false;
        for (int i = 0; i < logits.Length; i++)
        {
            float value = logits[i];
            if (float.IsNaN(value) || float.IsPositiveInfinity(value))
                throw new NonFiniteLogitsException(position, i, value);
            anyAboveNegativeInfinity |= value > float.NegativeInfinity;
        }
        if (!anyAboveNegativeInfinity && logits.Length > 0)
            throw new NonFiniteLogitsException(position, 0, logits[0]);
    }

    private static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : float.IsPositiveInfinity(value) ? "+infinity" : float.IsNegativeInfinity(value) ? "-infinity (as does every token)" : value.ToString("R");
}
