using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q8_0 (ggml type 8): 32 values in 34 bytes = half d; int8 qs[32]; x[j] = d·qs[j].
/// Device: quant plane qs (2 vectors), scale plane d (1 word). Chunk c (0, 1): values 16c..16c+15.
/// </summary>
public sealed class Q8_0 : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q8_0;
    public override string Name => "q8_0";
    public override int ValuesPerBlock => 32;
    public override int BytesPerBlock => 34;
    internal override int ScaleOffset => 0;
    internal override int ScaleBytes => 2;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0);
        for (int j = 0; j < 32; j++)
            values[j] = (sbyte)block[2 + j] * d;
    }

    // ggml's quantize_row_q8_0_ref: d = amax / 127, q = round(x / d).
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0f;
        for (int j = 0; j < 32; j++)
            amax = MathF.Max(amax, MathF.Abs(values[j]));
        float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
        WriteHalf(block, 0, d);
        for (int j = 0; j < 32; j++)
            block[2 + j] = (byte)(sbyte)Round(values[j] * id);
    }

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 32;
        public readonly int QuantVectors => 2;
        public readonly int ScaleWords => 1;
        public readonly int Chunks => 2;
        public readonly int ValuesPerChunk => 16;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb + chunk];
            long xc = xb + 4 * chunk;
            float sum = BlockMath.SignedBytes(v.X, x[xc]) + BlockMath.SignedBytes(v.Y, x[xc + 1])
                      + BlockMath.SignedBytes(v.Z, x[xc + 2]) + BlockMath.SignedBytes(v.W, x[xc + 3]);
            return BlockMath.Half(s[sb]) * sum;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb + chunk];
            float d = BlockMath.Half(s[sb]);
            long o = ob + 16 * chunk;
            Bytes8(sink, o, v.X, v.Y, d);
            Bytes8(sink, o + 8, v.Z, v.W, d);
        }

        // the 8 signed bytes of a, b times d, as values o..
        private static void Bytes8<TSink>(TSink sink, long o, uint a, uint b, float d) where TSink : struct, IValueSink
        {
            sink.Write8(o, (float)BlockMath.SignedByteOf(a, 0) * d, (float)BlockMath.SignedByteOf(a, 1) * d, (float)BlockMath.SignedByteOf(a, 2) * d,
                (float)BlockMath.SignedByteOf(a, 3) * d, (float)BlockMath.SignedByteOf(b, 0) * d, (float)BlockMath.SignedByteOf(b, 1) * d,
                (float)BlockMath.SignedByteOf(b, 2) * d, (float)BlockMath.SignedByteOf(b, 3) * d);
        }
    }

    /// <summary>Against int8 activations (<see cref="MatVecQ8"/>): two pieces of 16 quants per block, d·dx·Σ q·xq over 4 dp4a each.</summary>
    internal struct Q8Decoder : IQ8Decoder
    {
        public readonly int ValuesPerBlock => 32;
        public readonly int QuantVectors => 2;
        public readonly int ScaleWords => 1;
        public readonly int Pieces => 2;

        public readonly XPiece LoadX(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, long xv, long xg, int piece) =>
            new() { A = xq[xv + piece], D0 = dx[xg] };

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int piece, XPiece x)
        {
            var v = q[qb + piece];
            int acc = BlockMath.Dp4a((int)v.X, (int)x.A.X, 0);
            acc = BlockMath.Dp4a((int)v.Y, (int)x.A.Y, acc);
            acc = BlockMath.Dp4a((int)v.Z, (int)x.A.Z, acc);
            acc = BlockMath.Dp4a((int)v.W, (int)x.A.W, acc);
            return BlockMath.Half(s[sb]) * ((float)acc * x.D0);
        }
    }

    /// <summary>The host form of <see cref="Q8Decoder"/> over one block (<see cref="MatVecQ8.Reference"/>).</summary>
    internal static double DotQ8(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx)
    {
        int acc = 0;
        for (int j = 0; j < 32; j++)
            acc += (sbyte)block[2 + j] * xq[j];
        return Half(block, 0) * ((float)acc * dx[0]);
    }
}
