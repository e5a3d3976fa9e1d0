namespace Hip.Kernels;

/// <summary>
/// A simple quantizer for the scale-and-min K-quants (Q4_K, Q5_K): per sub-block of 32 the range [min(0, lo), hi]
/// split into <c>levels</c> steps, scales and mins coded in 6 bits against the block's fp16 d and dmin. Valid blocks
/// with small error; simpler than (and not bit-equal to) ggml's iterative search in quantize_row_q4_K_ref.
/// </summary>
internal static class KQuantizer
{
    /// <param name="qhOffset">Offset of qh[32] (Q5_K) or −1 (Q4_K).</param>
    public static void QuantizeScaleMin(ReadOnlySpan<float> values, Span<byte> block, int levels, int qhOffset, int qsOffset)
    {
        Span<float> scale = stackalloc float[8];
        Span<float> min = stackalloc float[8];
        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 8; j++)
        {
            float lo = 0f, hi = float.MinValue;
            for (int l = 0; l < 32; l++)
            {
                lo = MathF.Min(lo, values[32 * j + l]);
                hi = MathF.Max(hi, values[32 * j + l]);
            }
            scale[j] = (hi - lo) / levels;
            min[j] = -lo;
            maxScale = MathF.Max(maxScale, scale[j]);
            maxMin = MathF.Max(maxMin, min[j]);
        }
        float d = (float)(System.Half)(maxScale / 63f), dmin = (float)(System.Half)(maxMin / 63f);
        block.Clear();
        BitConverter.TryWriteBytes(block, BitConverter.HalfToUInt16Bits((System.Half)d));
        BitConverter.TryWriteBytes(block[2..], BitConverter.HalfToUInt16Bits((System.Half)dmin));
        var scales = block.Slice(4, 12);
        for (int j = 0; j < 8; j++)
        {
            // round the scale up so that the top value still fits in the levels
            int ls = d > 0f ? Math.Clamp((int)MathF.Ceiling(scale[j] / d), 0, 63) : 0;
            int lm = dmin > 0f ? Math.Clamp((int)MathF.Round(min[j] / dmin, MidpointRounding.AwayFromZero), 0, 63) : 0;
            if (j < 4)
            {
                scales[j] = (byte)ls;
                scales[j + 4] = (byte)lm;
            }
            else
            {
                scales[j + 4] = (byte)((ls & 15) | ((lm & 15) << 4));
                scales[j - 4] |= (byte)((ls >> 4) << 6);
                scales[j] |= (byte)((lm >> 4) << 6);
            }
            float step = d * ls, offset = dmin * lm;
            for (int l = 0; l < 32; l++)
            {
                int q = step > 0f ? Math.Clamp((int)MathF.Round((values[32 * j + l] + offset) / step, MidpointRounding.AwayFromZero), 0, levels) : 0;
                int index = 32 * (j / 2) + l;
                block[qsOffset + index] |= (byte)((q & 15) << (4 * (j & 1)));
                if (qhOffset >= 0 && q > 15)
                    block[qhOffset + l] |= (byte)(1 << j);
            }
        }
    }
}
