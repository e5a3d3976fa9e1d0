using System.Buffers.Binary;
using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q5_0 (ggml type 6): 32 values in 22 bytes = half d; u32 qh; u8 qs[16];
/// x[j] = d·((qs[j] &amp; 15 | bit j of qh &lt;&lt; 4) − 16), x[j+16] = d·((qs[j] >> 4 | bit j+16 of qh &lt;&lt; 4) − 16).
/// Device: quant plane qs (1 vector), scale plane d | qh &lt;&lt; 16 and qh >> 16 (2 words). One chunk: the whole block.
/// </summary>
public sealed class Q5_0 : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q5_0;
    public override string Name => "q5_0";
    public override int ValuesPerBlock => 32;
    public override int BytesPerBlock => 22;
    internal override int ScaleOffset => 0;
    internal override int ScaleBytes => 6;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
        for (int j = 0; j < 16; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            values[j] = (((block[6 + j] & 15) | h0) - 16) * d;
            values[j + 16] = (((block[6 + j] >> 4) | h1) - 16) * d;
        }
    }

    // ggml's quantize_row_q5_0_ref: d = (value of largest magnitude) / −16, q = min(31, (int)(x / d + 16.5)).
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++)
            if (MathF.Abs(values[j]) > amax)
            {
                amax = MathF.Abs(values[j]);
                max = values[j];
            }
        float d = max / -16f, id = d != 0f ? 1f / d : 0f;
        WriteHalf(block, 0, d);
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(31, (int)(sbyte)(values[j] * id + 16.5f));
            int q1 = Math.Min(31, (int)(sbyte)(values[j + 16] * id + 16.5f));
            block[6 + j] = (byte)((q0 & 15) | ((q1 & 15) << 4));
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
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
            uint s0 = s[sb];
            uint qh = (s0 >> 16) | (s[sb + 1] << 16);
            float sum = BlockMath.Nibbles(v.X, 0, qh, 16, x[xb]) + BlockMath.Nibbles(v.Y, 0, qh >> 4, 16, x[xb + 1])
                      + BlockMath.Nibbles(v.Z, 0, qh >> 8, 16, x[xb + 2]) + BlockMath.Nibbles(v.W, 0, qh >> 12, 16, x[xb + 3])
                      + BlockMath.Nibbles(v.X, 4, qh >> 16, 16, x[xb + 4]) + BlockMath.Nibbles(v.Y, 4, qh >> 20, 16, x[xb + 5])
                      + BlockMath.Nibbles(v.Z, 4, qh >> 24, 16, x[xb + 6]) + BlockMath.Nibbles(v.W, 4, qh >> 28, 16, x[xb + 7]);
            return BlockMath.Half(s0) * sum;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            uint s0 = s[sb];
            uint qh = (s0 >> 16) | (s[sb + 1] << 16);
            float d = BlockMath.Half(s0);
            for (int j = 0; j < 16; j++)
            {
                int b = BlockMath.Byte(v, j);
                int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
                sink.Write(ob + j, (float)(((b & 15) | h0) - 16) * d);
                sink.Write(ob + j + 16, (float)(((b >> 4) | h1) - 16) * d);
            }
        }
    }
}
