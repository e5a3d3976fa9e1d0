using System.Buffers.Binary;
using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q5_1 (ggml type 7): 32 values in 24 bytes = half d; half m; u32 qh; u8 qs[16];
/// as Q5_0 without the −16, then + m. Device: quant plane qs (1 vector), scale plane d | m &lt;&lt; 16 and qh (2 words).
/// </summary>
public sealed class Q5_1 : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q5_1;
    public override string Name => "q5_1";
    public override int ValuesPerBlock => 32;
    public override int BytesPerBlock => 24;
    public override bool CanQuantize => false;
    internal override int ScaleOffset => 0;
    internal override int ScaleBytes => 8;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0), m = Half(block, 2);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        for (int j = 0; j < 16; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            values[j] = ((block[8 + j] & 15) | h0) * d + m;
            values[j + 16] = ((block[8 + j] >> 4) | h1) * d + m;
        }
    }

    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 32;
        public readonly int QuantVectors => 1;
        public readonly int ScaleWords => 2;
        public readonly int Chunks => 1;
        public readonly int ValuesPerChunk => 32;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb];
            uint dm = s[sb], qh = s[sb + 1];
            Float4 x0 = x[xb], x1 = x[xb + 1], x2 = x[xb + 2], x3 = x[xb + 3], x4 = x[xb + 4], x5 = x[xb + 5], x6 = x[xb + 6], x7 = x[xb + 7];
            float sum = BlockMath.Nibbles(v.X, 0, qh, 0, x0) + BlockMath.Nibbles(v.Y, 0, qh >> 4, 0, x1)
                      + BlockMath.Nibbles(v.Z, 0, qh >> 8, 0, x2) + BlockMath.Nibbles(v.W, 0, qh >> 12, 0, x3)
                      + BlockMath.Nibbles(v.X, 4, qh >> 16, 0, x4) + BlockMath.Nibbles(v.Y, 4, qh >> 20, 0, x5)
                      + BlockMath.Nibbles(v.Z, 4, qh >> 24, 0, x6) + BlockMath.Nibbles(v.W, 4, qh >> 28, 0, x7);
            float xs = BlockMath.Sum(x0) + BlockMath.Sum(x1) + BlockMath.Sum(x2) + BlockMath.Sum(x3)
                     + BlockMath.Sum(x4) + BlockMath.Sum(x5) + BlockMath.Sum(x6) + BlockMath.Sum(x7);
            return BlockMath.Half(dm) * sum + BlockMath.HalfHigh(dm) * xs;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            uint dm = s[sb], qh = s[sb + 1];
            float d = BlockMath.Half(dm), m = BlockMath.HalfHigh(dm);
            for (int j = 0; j < 16; j++)
            {
                int b = BlockMath.Byte(v, j);
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                sink.Write(ob + j, (float)((b & 15) | h0) * d + m);
                sink.Write(ob + j + 16, (float)((b >> 4) | h1) * d + m);
            }
        }
    }
}
