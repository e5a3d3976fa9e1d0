using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>Bit twiddling shared by the block decoders: bytes, nibbles and halves out of 32-bit words.</summary>
internal static class BlockMath
{
    /// <summary>The fp16 in the low 16 bits of w, as float.</summary>
    public static float Half(uint w) => (float)Interop.IntAsFloat((ushort)(w & 0xFFFF));

    /// <summary>The fp16 in the high 16 bits of w, as float.</summary>
    public static float HalfHigh(uint w) => Half(w >> 16);

    /// <summary>
    /// IEEE fp16 bits of <paramref name="value"/>, rounded to nearest even, with integer operations so that every
    /// device gives the same bits (ILGPU's CPU accelerator truncates in its Half conversion). Overflow gives ±inf.
    /// </summary>
    public static ushort ToHalfBits(float value)
    {
        uint x = Interop.FloatAsInt(value);
        uint sign = (x >> 16) & 0x8000u, abs = x & 0x7FFFFFFFu;
        if (abs >= 0x7F800000u)
            return (ushort)(sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u));   // NaN, inf
        if (abs >= 0x477FF000u)
            return (ushort)(sign | 0x7C00u);                                    // ≥ 65520 rounds to inf
        if (abs < 0x38800000u)                                                  // below 2^-14: subnormal half
            return (ushort)(sign | (Interop.FloatAsInt(Interop.IntAsFloat(abs) + 0.5f) - 0x3F000000u));
        uint rebiased = abs - 0x38000000u;
        return (ushort)(sign | ((rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13));
    }

    /// <summary>
    /// <see cref="ToHalfBits"/> of lo in bits 0..15 and of hi in 16..31: one cvt.rn.f16x2.f32 on CUDA (the same round to
    /// nearest even; NaN payloads aside), the integer form elsewhere.
    /// </summary>
    public static uint HalfPair(float lo, float hi)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cvt.rn.f16x2.f32 %0, %1, %2;", out uint pair, hi, lo);   // d = {a: high half, b: low half}
            return pair;
        }
        return ToHalfBits(lo) | ((uint)ToHalfBits(hi) << 16);
    }

    /// <summary>Word i (0..3) of v.</summary>
    public static uint Word(UInt4 v, int i) => i == 0 ? v.X : i == 1 ? v.Y : i == 2 ? v.Z : v.W;

    /// <summary>Byte i (0..15) of v.</summary>
    public static int Byte(UInt4 v, int i) => (int)((Word(v, i >> 2) >> (8 * (i & 3))) & 0xFF);

    /// <summary>Byte b (0..3) of w as a signed byte.</summary>
    public static int SignedByteOf(uint w, int b) => (int)(w << (24 - 8 * b)) >> 24;


    public static float Sum(Float4 x) => x.X + x.Y + x.Z + x.W;

    /// <summary>Bit <paramref name="bit"/> of each of w's 4 bytes, packed into bits 0..3.</summary>
    public static uint GatherBits(uint w, int bit) =>
        ((w >> bit) & 1) | ((w >> (bit + 7)) & 2) | ((w >> (bit + 14)) & 4) | ((w >> (bit + 21)) & 8);

    /// <summary>Σ_b (q_b − bias)·x_b with q_b = nibble of byte b at <paramref name="shift"/> (0 or 4) | bit b of high &lt;&lt; 4.</summary>
    public static float Nibbles(uint w, int shift, uint high, int bias, Float4 x) =>
          (float)((int)(((w >> shift) & 15) | ((high & 1) << 4)) - bias) * x.X
        + (float)((int)(((w >> (8 + shift)) & 15) | (((high >> 1) & 1) << 4)) - bias) * x.Y
        + (float)((int)(((w >> (16 + shift)) & 15) | (((high >> 2) & 1) << 4)) - bias) * x.Z
        + (float)((int)(((w >> (24 + shift)) & 15) | (((high >> 3) & 1) << 4)) - bias) * x.W;

    /// <summary>Σ_b int8(byte b)·x_b.</summary>
    public static float SignedBytes(uint w, Float4 x) =>
          (float)((int)(w << 24) >> 24) * x.X
        + (float)((int)(w << 16) >> 24) * x.Y
        + (float)((int)(w << 8) >> 24) * x.Z
        + (float)((int)w >> 24) * x.W;

    /// <summary>Q6_K: Σ_b (((l_b >> ls) &amp; 15 | ((h_b >> hs) &amp; 3) &lt;&lt; 4) − 32)·x_b over the 4 bytes of l and h.</summary>
    public static float Sixes(uint l, int ls, uint h, int hs, Float4 x) =>
          (float)((int)(((l >> ls) & 15) | (((h >> hs) & 3) << 4)) - 32) * x.X
        + (float)((int)(((l >> (8 + ls)) & 15) | (((h >> (8 + hs)) & 3) << 4)) - 32) * x.Y
        + (float)((int)(((l >> (16 + ls)) & 15) | (((h >> (16 + hs)) & 3) << 4)) - 32) * x.Z
        + (float)((int)(((l >> (24 + ls)) & 15) | (((h >> (24 + hs)) & 3) << 4)) - 32) * x.W;

    /// <summary>
    /// c + Σ_b a_b·b_b over the four signed bytes of a and b: PTX <c>dp4a.s32.s32</c> on CUDA (one instruction), the
    /// same sum in plain code elsewhere.
    /// </summary>
    public static int Dp4a(int a, int b, int c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.s32.s32 %0, %1, %2, %3;", out int d, a, b, c);   // out, not Ref: Ref goes through local memory
            return d;
        }
        return c + ((a << 24) >> 24) * ((b << 24) >> 24) + ((a << 16) >> 24) * ((b << 16) >> 24)
                 + ((a << 8) >> 24) * ((b << 8) >> 24) + (a >> 24) * (b >> 24);
    }
}
