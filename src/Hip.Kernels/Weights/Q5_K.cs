using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q5_K (ggml type 13): 256 values in 176 bytes = half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]. As Q4_K,
/// plus 16 when bit j of qh[l] is set (value l of sub-block j). Device: the block as it is (11 vectors: header, qh,
/// qs). Chunk c (0..7) = qs[16c..16c+15] with qh[16·(c%2)..+15]: the values of Q4_K's chunk c.
/// </summary>
public sealed class Q5_K : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q5_K;
    public override string Name => "q5_K";
    public override int ValuesPerBlock => 256;
    public override int BytesPerBlock => 176;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0), dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qh = block.Slice(16, 32);
        var qs = block.Slice(48, 128);
        for (int k = 0; k < 4; k++)
        {
            Q4_K.ScaleMin(scales, 2 * k, out int sc, out int m);
            float d1 = d * sc, m1 = dmin * m;
            Q4_K.ScaleMin(scales, 2 * k + 1, out sc, out m);
            float d2 = d * sc, m2 = dmin * m;
            int u1 = 1 << (2 * k), u2 = 2 << (2 * k);
            for (int l = 0; l < 32; l++)
            {
                values[64 * k + l] = d1 * ((qs[32 * k + l] & 15) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                values[64 * k + 32 + l] = d2 * ((qs[32 * k + l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        KQuantizer.QuantizeScaleMin(values, block, levels: 31, qhOffset: 16, qsOffset: 48);

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 11;
        public readonly int ScaleWords => 0;
        public readonly int Chunks => 8;
        public readonly int ValuesPerChunk => 32;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var h = q[qb];
            var hb = q[qb + 1 + (chunk & 1)];
            var v = q[qb + 3 + chunk];
            int k = chunk >> 1, j0 = 2 * k, j1 = 2 * k + 1;
            long lo = xb + 16 * k + 4 * (chunk & 1), hi = lo + 8;
            Float4 a0 = x[lo], a1 = x[lo + 1], a2 = x[lo + 2], a3 = x[lo + 3];
            Float4 b0 = x[hi], b1 = x[hi + 1], b2 = x[hi + 2], b3 = x[hi + 3];
            float low = BlockMath.Nibbles(v.X, 0, BlockMath.GatherBits(hb.X, j0), 0, a0) + BlockMath.Nibbles(v.Y, 0, BlockMath.GatherBits(hb.Y, j0), 0, a1)
                      + BlockMath.Nibbles(v.Z, 0, BlockMath.GatherBits(hb.Z, j0), 0, a2) + BlockMath.Nibbles(v.W, 0, BlockMath.GatherBits(hb.W, j0), 0, a3);
            float high = BlockMath.Nibbles(v.X, 4, BlockMath.GatherBits(hb.X, j1), 0, b0) + BlockMath.Nibbles(v.Y, 4, BlockMath.GatherBits(hb.Y, j1), 0, b1)
                       + BlockMath.Nibbles(v.Z, 4, BlockMath.GatherBits(hb.Z, j1), 0, b2) + BlockMath.Nibbles(v.W, 4, BlockMath.GatherBits(hb.W, j1), 0, b3);
            float lowSum = BlockMath.Sum(a0) + BlockMath.Sum(a1) + BlockMath.Sum(a2) + BlockMath.Sum(a3);
            float highSum = BlockMath.Sum(b0) + BlockMath.Sum(b1) + BlockMath.Sum(b2) + BlockMath.Sum(b3);
            float d = BlockMath.Half(h.X), dmin = BlockMath.HalfHigh(h.X);
            Q4_K.ScaleMins(h, k, out int sc1, out int m1, out int sc2, out int m2);
            return d * ((float)sc1 * low + (float)sc2 * high) - dmin * ((float)m1 * lowSum + (float)m2 * highSum);
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var h = q[qb];
            var hb = q[qb + 1 + (chunk & 1)];
            var v = q[qb + 3 + chunk];
            int k = chunk >> 1;
            float d = BlockMath.Half(h.X), dmin = BlockMath.HalfHigh(h.X);
            Q4_K.ScaleMins(h, k, out int sc1, out int mn1, out int sc2, out int mn2);
            float d1 = d * sc1, m1 = dmin * mn1, d2 = d * sc2, m2 = dmin * mn2;
            long o = ob + 64 * k + 16 * (chunk & 1);
            Q4_K.Decoder.Nibbles8(sink, o, v.X, v.Y, hb.X >> (2 * k), hb.Y >> (2 * k), d1, m1, d2, m2);
            Q4_K.Decoder.Nibbles8(sink, o + 8, v.Z, v.W, hb.Z >> (2 * k), hb.W >> (2 * k), d1, m1, d2, m2);
        }
    }

    /// <summary>
    /// Against int8 activations (<see cref="MatVecQ8"/>): Q4_K's pieces (qs vector c: the low nibbles of sub-block 2k and
    /// the high nibbles of 2k + 1, k = c/2, half h = c%2) with the fifth bit from qh vector h, bits 2k and 2k + 1 of its
    /// bytes; the quants 0..31 times the int8 activations with dp4a, the mins as Q4_K's (the even piece adds them).
    /// </summary>
    internal struct Q8Decoder : IQ8Decoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 11;
        public readonly int ScaleWords => 0;
        public readonly int Pieces => 8;

        public readonly XPiece LoadX(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, long xv, long xg, int piece) =>
            default(Q4_K.Q8Decoder).LoadX(xq, dx, sx, s16, xv, xg, piece);

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int piece, XPiece x)
        {
            var h = q[qb];
            var hb = q[qb + 1 + (piece & 1)];
            var v = q[qb + 3 + piece];
            int k = piece >> 1, j0 = 2 * k, j1 = 2 * k + 1;
            int low = Q4_K.Q8Decoder.Dot(Five(v.X, 0, hb.X, j0), Five(v.Y, 0, hb.Y, j0), Five(v.Z, 0, hb.Z, j0), Five(v.W, 0, hb.W, j0), x.A, 0);
            int high = Q4_K.Q8Decoder.Dot(Five(v.X, 4, hb.X, j1), Five(v.Y, 4, hb.Y, j1), Five(v.Z, 4, hb.Z, j1), Five(v.W, 4, hb.W, j1), x.B, 0);
            return Q4_K.Q8Decoder.Scaled(h, piece, low, high, x);
        }

        // the four 5-bit quants of a word: nibbles at `shift` of v, bit `bit` of each byte of hb as bit 4
        private static uint Five(uint v, int shift, uint hb, int bit) => ((v >> shift) & 0x0F0F0F0Fu) | (((hb >> bit) & 0x01010101u) << 4);
    }

    /// <summary>The host form of <see cref="Q8Decoder"/> over one block (<see cref="MatVecQ8.Reference"/>), as Q4_K's with qh.</summary>
    internal static double DotQ8(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx) =>
        Q4_K.ScaleMinDotQ8(block, block.Slice(48, 128), block.Slice(16, 32), xq, dx, sx);
}
