using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// float32 → fp16 or bf16 bits (round to nearest even), in kernels and on the host alike: activations for the
/// half-precision GEMMs (<see cref="GemmTc"/>, cuBLAS).
/// </summary>
public static class HalfConvert
{
    /// <summary>The fp16 (<paramref name="bf16"/> 0) or bf16 (1) bits of <paramref name="value"/>.</summary>
    public static ushort ToBits(float value, int bf16) => bf16 != 0 ? ToBFloat16(value) : ToFloat16(value);

    /// <summary>
    /// fp16 bits, round to nearest even (subnormals included; overflow gives infinity, NaN stays NaN). In integer
    /// arithmetic because ILGPU's CPU-side (Half) cast truncates, while CUDA's cvt.rn rounds to nearest even.
    /// </summary>
    public static ushort ToFloat16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000u, abs = bits & 0x7FFFFFFFu;
        if (abs >= 0x7F800000u)
            return (ushort)(sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u));   // NaN, infinity
        if (abs >= 0x477FF000u)
            return (ushort)(sign | 0x7C00u);                                   // ≥ 65520 rounds to infinity
        if (abs < 0x38800000u)
        {
            // below 2^-14: a subnormal half, counted in units of 2^-24 = mantissa · 2^(e - 126)
            if (abs < 0x33000000u)
                return (ushort)sign;                                           // ≤ 2^-25 rounds to zero
            int shift = 126 - (int)(abs >> 23);                                // 14..24
            uint mantissa = (abs & 0x7FFFFFu) | 0x800000u;
            uint quotient = mantissa >> shift, remainder = mantissa & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
            if (remainder > halfway || (remainder == halfway && (quotient & 1u) != 0))
                quotient++;
            return (ushort)(sign | quotient);
        }
        uint half = (abs - 0x38000000u) >> 13;                                 // exponent rebiased by 112, 10 mantissa bits
        uint rest = abs & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (half & 1u) != 0))
            half++;
        return (ushort)(sign | half);
    }

    /// <summary>bf16 bits, round to nearest even; NaN stays NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
            return (ushort)((bits >> 16) | 0x40u);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    // x: [n] float   y: [n] half bits. One thread per element.
    /// <summary>y[i] = half(x[i]).</summary>
    public static void Kernel(Index1D i, ArrayView<float> x, ArrayView<ushort> y, int bf16) => y[i] = ToBits(x[i], bf16);
}
