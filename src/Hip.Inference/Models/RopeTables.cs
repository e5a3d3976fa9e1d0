namespace Hip.Inference;

/// <summary>
/// The cos and sin tables [positions, headDim / 2] RoPE reads, computed on the host in double: pair i of position p turns
/// by θ = p · base^(−2i / headDim) / factor[i], and cos, sin are scaled by the attention factor. Llama 3.x takes its
/// factors from rope_freqs.weight; Phi-3 from rope_factors_long or _short (long when the context exceeds the original
/// one); without factors every factor is 1 (REAL-MODELS.md §5; docs/model-formats.md).
/// </summary>
public static class RopeTables
{
    /// <summary>Tables for <paramref name="positions"/> positions; <paramref name="factors"/>: [headDim / 2] or null.</summary>
    public static (float[] Cos, float[] Sin) Compute(int positions, int headDim, double theta, ReadOnlySpan<float> factors, float attentionFactor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positions);
        int half = headDim / 2;
        if (!factors.IsEmpty && factors.Length != half)
            throw new ArgumentException($"RoPE factors have {factors.Length} entries, expected head dim / 2 = {half}.", nameof(factors));
        long length = checked((long)positions * half);
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(positions), positions,
                $"RoPE tables for {positions} positions of head dim {headDim} exceed one host array; lower the context length.");
        var cos = new float[length];
        var sin = new float[length];
        for (int i = 0; i < half; i++)
        {
            double factor = factors.IsEmpty ? 1 : factors[i];
            if (!(double.IsFinite(factor) && factor > 0))
                throw new InvalidDataException($"RoPE factor {i} is {factor}, expected a positive number.");
            double frequency = Math.Pow(theta, -2.0 * i / headDim) / factor;
            for (int p = 0; p < positions; p++)
            {
                double angle = p * frequency;
                cos[(long)p * half + i] = (float)(Math.Cos(angle) * attentionFactor);
                sin[(long)p * half + i] = (float)(Math.Sin(angle) * attentionFactor);
            }
        }
        return (cos, sin);
    }
}
