using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// KV elements stored as IEEE float16 bits (<see cref="KvPrecision.F16"/>). Writing rounds to nearest even in integer
/// arithmetic, the same bits on every device (ILGPU's CPU conversion truncates, CUDA's cvt.rn rounds).
/// </summary>
public struct KvF16Element : IKvElement<ushort>
{
    /// <inheritdoc/>
    public readonly float Read(ushort stored) => (float)Interop.IntAsFloat(stored);

    /// <inheritdoc/>
    public readonly ushort Write(float value) => RoundToHalf(Interop.FloatAsInt(value));

    /// <inheritdoc/>
    public readonly Float4 Load4(ArrayView<ushort> view, long index)
    {
        ulong bits = view.Cast<ulong>()[index >> 2];   // four halves in one 8-byte load
        return new Float4
        {
            X = (float)Interop.IntAsFloat((ushort)bits), Y = (float)Interop.IntAsFloat((ushort)(bits >> 16)),
            Z = (float)Interop.IntAsFloat((ushort)(bits >> 32)), W = (float)Interop.IntAsFloat((ushort)(bits >> 48)),
        };
    }

    /// <summary>float32 bits to float16 bits, round to nearest even; NaN stays NaN (quiet), overflow becomes infinity.</summary>
    public static ushort RoundToHalf(uint bits)
    {
        uint sign = (bits >> 16) & 0x8000u;
        uint magnitude = bits & 0x7FFFFFFFu;
        if (magnitude >= 0x7F800000u)                       // infinity or NaN
            return (ushort)(sign | (magnitude > 0x7F800000u ? 0x7E00u : 0x7C00u));
        if (magnitude >= 0x477FF000u)                       // ≥ 65520: rounds past the largest half
            return (ushort)(sign | 0x7C00u);
        if (magnitude >= 0x38800000u)                       // normal half: rebias the exponent, round 23 → 10 mantissa bits
        {
            uint rebased = magnitude - 0x38000000u;
            return (ushort)(sign | ((rebased + 0x0FFFu + ((rebased >> 13) & 1u)) >> 13));
        }
        int exponent = (int)(magnitude >> 23);
        if (exponent < 102)                                 // below 2^-25: rounds to zero
            return (ushort)sign;
        uint mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;   // subnormal half: m · 2^-24 with m = mantissa · 2^(exponent − 126)
        int shift = 126 - exponent;                           // 14 .. 24
        uint m = mantissa >> shift;
        uint rest = mantissa & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (m & 1u) != 0))
            m++;
        return (ushort)(sign | m);
    }

    /// <summary>The host's rounding of a float to float16 bits (System.Half, round to nearest even), for references and tests.</summary>
    public static ushort ToBits(float value) => BitConverter.HalfToUInt16Bits((System.Half)value);

    /// <summary>The host's float of float16 bits.</summary>
    public static float FromBits(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
