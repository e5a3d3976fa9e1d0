using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q4_K (ggml type 12): 256 values in 144 bytes = half d; half dmin; u8 scales[12]; u8 qs[128]. Eight sub-blocks of
/// 32 with 6-bit scale sc and min m (<see cref="ScaleMin(ReadOnlySpan{byte}, int, out int, out int)"/>); value l of
/// sub-block j is the low (even j) or high (odd j) nibble of qs[32·(j/2) + l]; x = (d·sc)·q − dmin·m.
/// Device: the block as it is (9 vectors: header, then qs). Chunk c (0..7) = qs[16c..16c+15]: values
/// 64·(c/2) + 16·(c%2) + i (low nibbles) and the same + 32 (high nibbles), i &lt; 16.
/// </summary>
public sealed class Q4_K : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q4_K;
    public override string Name => "q4_K";
    public override int ValuesPerBlock => 256;
    public override int BytesPerBlock => 144;

    /// <summary>ggml's get_scale_min_k4: sub-block j's 6-bit scale and min out of the 12 packed bytes.</summary>
    internal static void ScaleMin(ReadOnlySpan<byte> scales, int j, out int sc, out int m)
    {
        if (j < 4)
        {
            sc = scales[j] & 63;
            m = scales[j + 4] & 63;
        }
        else
        {
            sc = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
            m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
        }
    }

    /// <summary>
    /// The same on the device for sub-blocks 2u and 2u + 1 (their 6-bit scales and mins), without branches or byte
    /// indexing: the four low sub-blocks' are bytes of header words Y and Z as they are, the four high ones' the nibbles
    /// of W with bits 6..7 of Y (scales) or Z (mins) on top (get_scale_min_k4 for all eight at once).
    /// </summary>
    internal static void ScaleMins(UInt4 h, int unit, out int sc1, out int m1, out int sc2, out int m2)
    {
        uint highScales = (h.W & 0x0F0F0F0Fu) | ((h.Y >> 2) & 0x30303030u);
        uint highMins = ((h.W >> 4) & 0x0F0F0F0Fu) | ((h.Z >> 2) & 0x30303030u);
        uint high = 0u - (uint)(unit >> 1);   // all ones for units 2 and 3
        int shift = 16 * (unit & 1);
        uint scales = (((h.Y & 0x3F3F3F3Fu) & ~high) | (highScales & high)) >> shift;
        uint mins = (((h.Z & 0x3F3F3F3Fu) & ~high) | (highMins & high)) >> shift;
        sc1 = (int)(scales & 63);
        sc2 = (int)((scales >> 8) & 63);
        m1 = (int)(mins & 63);
        m2 = (int)((mins >> 8) & 63);
    }

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0), dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qs = block.Slice(16, 128);
        for (int k = 0; k < 4; k++)
        {
            ScaleMin(scales, 2 * k, out int sc, out int m);
            float d1 = d * sc, m1 = dmin * m;
            ScaleMin(scales, 2 * k + 1, out sc, out m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++)
            {
                values[64 * k + l] = d1 * (qs[32 * k + l] & 15) - m1;
                values[64 * k + 32 + l] = d2 * (qs[32 * k + l] >> 4) - m2;
            }
        }
    }

    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        KQuantizer.QuantizeScaleMin(values, block, levels: 15, qhOffset: -1, qsOffset: 16);

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 9;
        public readonly int ScaleWords => 0;
        public readonly int Chunks => 8;
        public readonly int ValuesPerChunk => 32;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var h = q[qb];
            var v = q[qb + 1 + chunk];
            int k = chunk >> 1;
            long lo = xb + 16 * k + 4 * (chunk & 1), hi = lo + 8;
            Float4 a0 = x[lo], a1 = x[lo + 1], a2 = x[lo + 2], a3 = x[lo + 3];
            Float4 b0 = x[hi], b1 = x[hi + 1], b2 = x[hi + 2], b3 = x[hi + 3];
            float low = BlockMath.Nibbles(v.X, 0, 0, 0, a0) + BlockMath.Nibbles(v.Y, 0, 0, 0, a1)
                      + BlockMath.Nibbles(v.Z, 0, 0, 0, a2) + BlockMath.Nibbles(v.W, 0, 0, 0, a3);
            float high = BlockMath.Nibbles(v.X, 4, 0, 0, b0) + BlockMath.Nibbles(v.Y, 4, 0, 0, b1)
                       + BlockMath.Nibbles(v.Z, 4, 0, 0, b2) + BlockMath.Nibbles(v.W, 4, 0, 0, b3);
            float lowSum = BlockMath.Sum(a0) + BlockMath.Sum(a1) + BlockMath.Sum(a2) + BlockMath.Sum(a3);
            float highSum = BlockMath.Sum(b0) + BlockMath.Sum(b1) + BlockMath.Sum(b2) + BlockMath.Sum(b3);
            float d = BlockMath.Half(h.X), dmin = BlockMath.HalfHigh(h.X);
            ScaleMins(h, k, out int sc1, out int m1, out int sc2, out int m2);
            return d * ((float)sc1 * low + (float)sc2 * high) - dmin * ((float)m1 * lowSum + (float)m2 * highSum);
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var h = q[qb];
            var v = q[qb + 1 + chunk];
            int k = chunk >> 1;
            float d = BlockMath.Half(h.X), dmin = BlockMath.HalfHigh(h.X);
            ScaleMins(h, k, out int sc1, out int mn1, out int sc2, out int mn2);
            float d1 = d * sc1, m1 = dmin * mn1, d2 = d * sc2, m2 = dmin * mn2;
            long o = ob + 64 * k + 16 * (chunk & 1);
            Nibbles8(sink, o, v.X, v.Y, 0u, 0u, d1, m1, d2, m2);
            Nibbles8(sink, o + 8, v.Z, v.W, 0u, 0u, d1, m1, d2, m2);
        }

        // the 8 bytes of a, b: low nibbles → values o.. (d1·q − m1), high nibbles → o + 32.. (d2·q − m2); Q5_K's fifth
        // bits in fa, fb (bit 0 of each byte for the low nibble's value, bit 1 for the high one's; 0 for Q4_K)
        internal static void Nibbles8<TSink>(TSink sink, long o, uint a, uint b, uint fa, uint fb, float d1, float m1, float d2, float m2)
            where TSink : struct, IValueSink
        {
            sink.Write8(o, d1 * Quant(a, fa, 0, 0) - m1, d1 * Quant(a, fa, 8, 0) - m1, d1 * Quant(a, fa, 16, 0) - m1, d1 * Quant(a, fa, 24, 0) - m1,
                d1 * Quant(b, fb, 0, 0) - m1, d1 * Quant(b, fb, 8, 0) - m1, d1 * Quant(b, fb, 16, 0) - m1, d1 * Quant(b, fb, 24, 0) - m1);
            sink.Write8(o + 32, d2 * Quant(a, fa, 0, 1) - m2, d2 * Quant(a, fa, 8, 1) - m2, d2 * Quant(a, fa, 16, 1) - m2, d2 * Quant(a, fa, 24, 1) - m2,
                d2 * Quant(b, fb, 0, 1) - m2, d2 * Quant(b, fb, 8, 1) - m2, d2 * Quant(b, fb, 16, 1) - m2, d2 * Quant(b, fb, 24, 1) - m2);
        }

        // the quant of the byte at bit `at` of w: its low (high 0) or high (high 1) nibble, plus 16 for its fifth bit in f
        private static float Quant(uint w, uint f, int at, int high) => (float)(((w >> (at + 4 * high)) & 15) + (((f >> (at + high)) & 1) << 4));
    }

    /// <summary>
    /// Against int8 activations (<see cref="MatVecQ8"/>). Piece c (0..7) = qs vector c (16 bytes): its low nibbles are
    /// values 64k + 16h + i of sub-block 2k, its high nibbles the same + 32 of sub-block 2k + 1 (k = c/2, h = c%2, i &lt; 16),
    /// i.e. activation vectors 4k + h and 4k + 2 + h. Σ w·x = d·sc·dx·Σ q·xq − dmin·m·Σx per sub-block; the two pieces of
    /// a sub-block share its min term, which the even piece adds (Σx exact, over the whole 32-block).
    /// </summary>
    internal struct Q8Decoder : IQ8Decoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 9;
        public readonly int ScaleWords => 0;
        public readonly int Pieces => 8;

        public readonly XPiece LoadX(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, long xv, long xg, int piece)
        {
            int k = piece >> 1;
            long v = xv + 4 * k + (piece & 1), g = xg + 2 * k;
            return new XPiece { A = xq[v], B = xq[v + 2], D0 = dx[g], D1 = dx[g + 1], S0 = sx[g], S1 = sx[g + 1] };
        }

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int piece, XPiece x)
        {
            var h = q[qb];
            var v = q[qb + 1 + piece];
            const uint M = 0x0F0F0F0F;
            int low = Dot(v.X & M, v.Y & M, v.Z & M, v.W & M, x.A, 0);
            int high = Dot((v.X >> 4) & M, (v.Y >> 4) & M, (v.Z >> 4) & M, (v.W >> 4) & M, x.B, 0);
            return Scaled(h, piece, low, high, x);
        }

        // d·sc·dx·Σq·xq of the piece's two sub-blocks (low, high: the integer sums) − dmin·m·Σx, the min term from the
        // even piece only (Q4_K and Q5_K alike)
        internal static float Scaled(UInt4 h, int piece, int low, int high, XPiece x)
        {
            ScaleMins(h, piece >> 1, out int sc1, out int m1, out int sc2, out int m2);
            float d = BlockMath.Half(h.X), dmin = (piece & 1) == 0 ? BlockMath.HalfHigh(h.X) : 0f;
            return d * ((float)(sc1 * low) * x.D0 + (float)(sc2 * high) * x.D1) - dmin * ((float)m1 * x.S0 + (float)m2 * x.S1);
        }

        // acc + Σ of the 16 byte products of the words a..d with x (dp4a)
        internal static int Dot(uint a, uint b, uint c, uint d, UInt4 x, int acc) =>
            BlockMath.Dp4a((int)d, (int)x.W, BlockMath.Dp4a((int)c, (int)x.Z, BlockMath.Dp4a((int)b, (int)x.Y, BlockMath.Dp4a((int)a, (int)x.X, acc))));
    }

    /// <summary>The host form of <see cref="Q8Decoder"/> over one block (<see cref="MatVecQ8.Reference"/>).</summary>
    internal static double DotQ8(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx) =>
        ScaleMinDotQ8(block, block.Slice(16, 128), [], xq, dx, sx);

    /// <summary>
    /// The host int8 dot of a Q4_K or Q5_K block: header (d, dmin, scales) at the block's start, 4-bit quants qs, and
    /// for Q5_K the fifth bits qh (bit j of qh[l] for value l of sub-block j; empty for Q4_K).
    /// </summary>
    internal static double ScaleMinDotQ8(ReadOnlySpan<byte> block, ReadOnlySpan<byte> qs, ReadOnlySpan<byte> qh,
        ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx)
    {
        float d = Half(block, 0), dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        double acc = 0;
        for (int u = 0; u < 4; u++)
        {
            int low = 0, high = 0;
            for (int l = 0; l < 32; l++)
            {
                int fifthLow = qh.IsEmpty ? 0 : ((qh[l] >> (2 * u)) & 1) << 4, fifthHigh = qh.IsEmpty ? 0 : ((qh[l] >> (2 * u + 1)) & 1) << 4;
                low += ((qs[32 * u + l] & 15) | fifthLow) * xq[64 * u + l];
                high += ((qs[32 * u + l] >> 4) | fifthHigh) * xq[64 * u + 32 + l];
            }
            ScaleMin(scales, 2 * u, out int sc1, out int m1);
            ScaleMin(scales, 2 * u + 1, out int sc2, out int m2);
            acc += d * ((float)(sc1 * low) * dx[2 * u] + (float)(sc2 * high) * dx[2 * u + 1]) - dmin * ((float)m1 * sx[2 * u] + (float)m2 * sx[2 * u + 1]);
        }
        return acc;
    }
}
