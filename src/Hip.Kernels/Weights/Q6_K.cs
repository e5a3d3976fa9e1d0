using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q6_K (ggml type 14): 256 values in 210 bytes = u8 ql[128]; u8 qh[64]; int8 scales[16]; half d. For half h
/// (values 128h..128h+127) and l &lt; 32: four 6-bit quants from ql[64h+l], ql[64h+l+32] and qh[32h+l], minus 32,
/// times d·scales[8h + l/16 + 2i] (see REAL-MODELS.md §3). Device: quant plane ql, qh, scales (13 vectors), scale plane d
/// (1 word). Chunk c (0..3): h = c/2, l = 16·(c%2) + i for i &lt; 16, the 64 values 128h + l + {0, 32, 64, 96}.
/// </summary>
public sealed class Q6_K : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q6_K;
    public override string Name => "q6_K";
    public override int ValuesPerBlock => 256;
    public override int BytesPerBlock => 210;
    internal override int ScaleOffset => 208;
    internal override int ScaleBytes => 2;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 208);
        for (int h = 0; h < 2; h++)
        {
            var ql = block.Slice(64 * h, 64);
            var qh = block.Slice(128 + 32 * h, 32);
            var sc = block.Slice(192 + 8 * h, 8);
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                values[128 * h + l] = d * (sbyte)sc[s] * q1;
                values[128 * h + l + 32] = d * (sbyte)sc[s + 2] * q2;
                values[128 * h + l + 64] = d * (sbyte)sc[s + 4] * q3;
                values[128 * h + l + 96] = d * (sbyte)sc[s + 6] * q4;
            }
        }
    }

    // Simple quantizer: per 16 values scale = amax / 31, coded in int8 against d = max scale / 127; q in [−32, 31].
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        Span<float> scale = stackalloc float[16];
        float maxScale = 0f;
        for (int j = 0; j < 16; j++)
        {
            float amax = 0f;
            for (int l = 0; l < 16; l++)
                amax = MathF.Max(amax, MathF.Abs(values[16 * j + l]));
            scale[j] = amax / 31f;
            maxScale = MathF.Max(maxScale, scale[j]);
        }
        block.Clear();
        float d = RoundToHalf(maxScale / 127f);
        WriteHalf(block, 208, d);
        Span<int> q = stackalloc int[256];
        for (int j = 0; j < 16; j++)
        {
            int ls = d > 0f ? Math.Clamp((int)MathF.Ceiling(scale[j] / d), 0, 127) : 0;
            block[192 + j] = (byte)(sbyte)ls;
            float step = d * ls;
            for (int l = 0; l < 16; l++)
                q[16 * j + l] = (step > 0f ? Math.Clamp(Round(values[16 * j + l] / step), -32, 31) : 0) + 32;
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++)
            {
                int a = q[128 * h + l], b = q[128 * h + l + 32], c = q[128 * h + l + 64], e = q[128 * h + l + 96];
                block[64 * h + l] = (byte)((a & 15) | ((c & 15) << 4));
                block[64 * h + l + 32] = (byte)((b & 15) | ((e & 15) << 4));
                block[128 + 32 * h + l] = (byte)((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
            }
    }

    /// <summary>
    /// The int8 scales of 16-value groups 8h + b and 8h + 4 + b (b &lt; 4) from the block's scale vector: byte b of words 2h
    /// and 2h + 1, picked without branches or a run-time byte index.
    /// </summary>
    internal static void GroupScales(UInt4 sc, int h, int b, out int low, out int high)
    {
        uint second = 0u - (uint)h;
        low = BlockMath.SignedByteOf((sc.X & ~second) | (sc.Z & second), b);
        high = BlockMath.SignedByteOf((sc.Y & ~second) | (sc.W & second), b);
    }

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 13;
        public readonly int ScaleWords => 1;
        public readonly int Chunks => 4;
        public readonly int ValuesPerChunk => 64;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            int h = chunk >> 1, half = chunk & 1;
            var l1 = q[qb + 4 * h + half];
            var l2 = q[qb + 4 * h + 2 + half];
            var hi = q[qb + 8 + 2 * h + half];
            var sc = q[qb + 12];
            long b1 = xb + 32 * h + 4 * half, b2 = b1 + 8, b3 = b1 + 16, b4 = b1 + 24;
            float s1 = BlockMath.Sixes(l1.X, 0, hi.X, 0, x[b1]) + BlockMath.Sixes(l1.Y, 0, hi.Y, 0, x[b1 + 1])
                     + BlockMath.Sixes(l1.Z, 0, hi.Z, 0, x[b1 + 2]) + BlockMath.Sixes(l1.W, 0, hi.W, 0, x[b1 + 3]);
            float s2 = BlockMath.Sixes(l2.X, 0, hi.X, 2, x[b2]) + BlockMath.Sixes(l2.Y, 0, hi.Y, 2, x[b2 + 1])
                     + BlockMath.Sixes(l2.Z, 0, hi.Z, 2, x[b2 + 2]) + BlockMath.Sixes(l2.W, 0, hi.W, 2, x[b2 + 3]);
            float s3 = BlockMath.Sixes(l1.X, 4, hi.X, 4, x[b3]) + BlockMath.Sixes(l1.Y, 4, hi.Y, 4, x[b3 + 1])
                     + BlockMath.Sixes(l1.Z, 4, hi.Z, 4, x[b3 + 2]) + BlockMath.Sixes(l1.W, 4, hi.W, 4, x[b3 + 3]);
            float s4 = BlockMath.Sixes(l2.X, 4, hi.X, 6, x[b4]) + BlockMath.Sixes(l2.Y, 4, hi.Y, 6, x[b4 + 1])
                     + BlockMath.Sixes(l2.Z, 4, hi.Z, 6, x[b4 + 2]) + BlockMath.Sixes(l2.W, 4, hi.W, 6, x[b4 + 3]);
            GroupScales(sc, h, half, out int c1, out int c3);
            GroupScales(sc, h, half + 2, out int c2, out int c4);
            return BlockMath.Half(s[sb]) * ((float)c1 * s1 + (float)c2 * s2 + (float)c3 * s3 + (float)c4 * s4);
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            int h = chunk >> 1, half = chunk & 1;
            var l1 = q[qb + 4 * h + half];
            var l2 = q[qb + 4 * h + 2 + half];
            var hi = q[qb + 8 + 2 * h + half];
            var sc = q[qb + 12];
            float d = BlockMath.Half(s[sb]);
            GroupScales(sc, h, half, out int c1, out int c3);
            GroupScales(sc, h, half + 2, out int c2, out int c4);
            float d1 = d * (float)c1, d2 = d * (float)c2, d3 = d * (float)c3, d4 = d * (float)c4;
            long o = ob + 128 * h + 16 * half;
            Sixes8(sink, o, l1.X, l1.Y, 0, hi.X, hi.Y, 0, d1);
            Sixes8(sink, o + 8, l1.Z, l1.W, 0, hi.Z, hi.W, 0, d1);
            Sixes8(sink, o + 32, l2.X, l2.Y, 0, hi.X, hi.Y, 2, d2);
            Sixes8(sink, o + 40, l2.Z, l2.W, 0, hi.Z, hi.W, 2, d2);
            Sixes8(sink, o + 64, l1.X, l1.Y, 4, hi.X, hi.Y, 4, d3);
            Sixes8(sink, o + 72, l1.Z, l1.W, 4, hi.Z, hi.W, 4, d3);
            Sixes8(sink, o + 96, l2.X, l2.Y, 4, hi.X, hi.Y, 6, d4);
            Sixes8(sink, o + 104, l2.Z, l2.W, 4, hi.Z, hi.W, 6, d4);
        }

        // 8 values from the bytes of la, lb (4 bits at ls) and ha, hb (2 bits at hs, as bits 4..5): d·(q − 32)
        private static void Sixes8<TSink>(TSink sink, long o, uint la, uint lb, int ls, uint ha, uint hb, int hs, float d)
            where TSink : struct, IValueSink =>
            sink.Write8(o, d * (float)(Six(la, ls, ha, hs, 0) - 32), d * (float)(Six(la, ls, ha, hs, 8) - 32),
                d * (float)(Six(la, ls, ha, hs, 16) - 32), d * (float)(Six(la, ls, ha, hs, 24) - 32),
                d * (float)(Six(lb, ls, hb, hs, 0) - 32), d * (float)(Six(lb, ls, hb, hs, 8) - 32),
                d * (float)(Six(lb, ls, hb, hs, 16) - 32), d * (float)(Six(lb, ls, hb, hs, 24) - 32));

        // byte at bit `at` of l (4 bits from ls) | of h (2 bits from hs) << 4
        private static int Six(uint l, int ls, uint h, int hs, int at) => (int)(((l >> (at + ls)) & 15) | (((h >> (at + hs)) & 3) << 4));
    }

    /// <summary>
    /// Against int8 activations (<see cref="MatVecQ8"/>). Piece c (0..7) = ql vector c: half h = c/4, j = c%4, u = j/2,
    /// l = 16·(j%2) + i (i &lt; 16); its low nibbles with qh bits 2u..2u+1 are values 128h + 32u + l (16-value group
    /// g = 8h + j), its high nibbles with qh bits 4+2u.. the same + 64 (group g + 4); the qh vector is 2h + j%2 and the
    /// groups' int8 scales are byte j of scale words 2h and 2h + 1. The quants are 0..63 here and the −32 comes off as
    /// 32·Σxq of the group: d·Σ sc·dx·(Σ q·xq − 32·Σxq).
    /// </summary>
    internal struct Q8Decoder : IQ8Decoder
    {
        public readonly int ValuesPerBlock => 256;
        public readonly int QuantVectors => 13;
        public readonly int ScaleWords => 1;
        public readonly int Pieces => 8;

        public readonly XPiece LoadX(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, long xv, long xg, int piece)
        {
            int g = 8 * (piece >> 2) + (piece & 3);   // the low nibbles' group; the high nibbles' is g + 4
            return new XPiece { A = xq[xv + g], B = xq[xv + g + 4], D0 = dx[xg + (g >> 1)], D1 = dx[xg + (g >> 1) + 2], T0 = s16[xv + g], T1 = s16[xv + g + 4] };
        }

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int piece, XPiece x)
        {
            int h = piece >> 2, j = piece & 3, shift = 2 * (j >> 1);
            var l = q[qb + piece];
            var hi = q[qb + 8 + 2 * h + (j & 1)];
            var sc = q[qb + 12];
            int p0 = Group(l, 0, hi, shift, x.A) - 32 * x.T0;
            int p1 = Group(l, 4, hi, shift + 4, x.B) - 32 * x.T1;
            GroupScales(sc, h, j, out int c0, out int c1);
            return BlockMath.Half(s[sb]) * ((float)(c0 * p0) * x.D0 + (float)(c1 * p1) * x.D1);
        }

        // Σ over 16 values of (4 low bits of l at ls | 2 bits of hi at hs, as bits 4..5) · xq, the quants unsigned 0..63
        private static int Group(UInt4 l, int ls, UInt4 hi, int hs, UInt4 x)
        {
            int acc = BlockMath.Dp4a(Six(l.X, ls, hi.X, hs), (int)x.X, 0);
            acc = BlockMath.Dp4a(Six(l.Y, ls, hi.Y, hs), (int)x.Y, acc);
            acc = BlockMath.Dp4a(Six(l.Z, ls, hi.Z, hs), (int)x.Z, acc);
            return BlockMath.Dp4a(Six(l.W, ls, hi.W, hs), (int)x.W, acc);
        }

        private static int Six(uint l, int ls, uint hi, int hs) => (int)(((l >> ls) & 0x0F0F0F0Fu) | (((hi >> hs) & 0x03030303u) << 4));
    }

    /// <summary>The host form of <see cref="Q8Decoder"/> over one block (<see cref="MatVecQ8.Reference"/>).</summary>
    internal static double DotQ8(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx)
    {
        float d = Half(block, 208);
        double acc = 0;
        for (int h = 0; h < 2; h++)
            for (int half = 0; half < 2; half++)
            {
                float unit = 0f;
                for (int g = 0; g < 4; g++)
                {
                    int sum = 0, xsum = 0;
                    for (int i = 0; i < 16; i++)
                    {
                        int l = 16 * half + i;   // ql[64h + l (+32)], qh[32h + l]
                        int ql = block[64 * h + l + (g & 1) * 32] >> (g >= 2 ? 4 : 0) & 15;
                        int qh = (block[128 + 32 * h + l] >> (2 * g)) & 3;
                        int xv = xq[128 * h + 16 * half + 32 * g + i];
                        sum += (ql | (qh << 4)) * xv;
                        xsum += xv;
                    }
                    unit += (float)((sbyte)block[192 + 8 * h + half + 2 * g] * (sum - 32 * xsum)) * dx[4 * h + g];
                }
                acc += d * unit;
            }
        return acc;
    }
}
