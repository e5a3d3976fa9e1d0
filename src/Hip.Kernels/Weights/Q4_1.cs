using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q4_1 (ggml type 3): 32 values in 20 bytes = half d; half m; u8 qs[16];
/// x[j] = d·(qs[j] &amp; 15) + m, x[j+16] = d·(qs[j] >> 4) + m.
/// Device: quant plane qs (1 vector), scale plane d | m &lt;&lt; 16 (1 word). One chunk: the whole block.
/// </summary>
public sealed class Q4_1 : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q4_1;
    public override string Name => "q4_1";
    public override int ValuesPerBlock => 32;
    public override int BytesPerBlock => 20;
    public override bool CanQuantize => false;
    internal override int ScaleOffset => 0;
    internal override int ScaleBytes => 4;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0), m = Half(block, 2);
        for (int j = 0; j < 16; j++)
        {
            values[j] = (block[4 + j] & 15) * d + m;
            values[j + 16] = (block[4 + j] >> 4) * d + m;
        }
    }

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 32;
        public readonly int QuantVectors => 1;
        public readonly int ScaleWords => 1;
        public readonly int Chunks => 1;
        public readonly int ValuesPerChunk => 32;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb];
            Float4 x0 = x[xb], x1 = x[xb + 1], x2 = x[xb + 2], x3 = x[xb + 3], x4 = x[xb + 4], x5 = x[xb + 5], x6 = x[xb + 6], x7 = x[xb + 7];
            float sum = BlockMath.Nibbles(v.X, 0, 0, 0, x0) + BlockMath.Nibbles(v.Y, 0, 0, 0, x1)
                      + BlockMath.Nibbles(v.Z, 0, 0, 0, x2) + BlockMath.Nibbles(v.W, 0, 0, 0, x3)
                      + BlockMath.Nibbles(v.X, 4, 0, 0, x4) + BlockMath.Nibbles(v.Y, 4, 0, 0, x5)
                      + BlockMath.Nibbles(v.Z, 4, 0, 0, x6) + BlockMath.Nibbles(v.W, 4, 0, 0, x7);
            float xs = BlockMath.Sum(x0) + BlockMath.Sum(x1) + BlockMath.Sum(x2) + BlockMath.Sum(x3)
                     + BlockMath.Sum(x4) + BlockMath.Sum(x5) + BlockMath.Sum(x6) + BlockMath.Sum(x7);
            uint dm = s[sb];
            return BlockMath.Half(dm) * sum + BlockMath.HalfHigh(dm) * xs;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            uint dm = s[sb];
            float d = BlockMath.Half(dm), m = BlockMath.HalfHigh(dm);
            for (int j = 0; j < 16; j++)
            {
                int b = BlockMath.Byte(v, j);
                sink.Write(ob + j, (float)(b & 15) * d + m);
                sink.Write(ob + j + 16, (float)(b >> 4) * d + m);
            }
        }
    }
}
