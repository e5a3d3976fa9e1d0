using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Q4_0 (ggml type 2): 32 values in 18 bytes = half d; u8 qs[16];
/// x[j] = d·((qs[j] &amp; 15) − 8), x[j+16] = d·((qs[j] >> 4) − 8).
/// Device: quant plane qs (1 vector), scale plane d (1 word). One chunk: the whole block.
/// </summary>
public sealed class Q4_0 : WeightTypeInfo
{
    public override WeightType Type => WeightType.Q4_0;
    public override string Name => "q4_0";
    public override int ValuesPerBlock => 32;
    public override int BytesPerBlock => 18;
    internal override int ScaleOffset => 0;
    internal override int ScaleBytes => 2;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values)
    {
        float d = Half(block, 0);
        for (int j = 0; j < 16; j++)
        {
            values[j] = ((block[2 + j] & 15) - 8) * d;
            values[j + 16] = ((block[2 + j] >> 4) - 8) * d;
        }
    }

    // ggml's quantize_row_q4_0_ref: d = (value of largest magnitude) / −8, q = min(15, (int)(x / d + 8.5)).
    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++)
            if (MathF.Abs(values[j]) > amax)
            {
                amax = MathF.Abs(values[j]);
                max = values[j];
            }
        float d = max / -8f, id = d != 0f ? 1f / d : 0f;
        WriteHalf(block, 0, d);
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(sbyte)(values[j] * id + 8.5f));
            int q1 = Math.Min(15, (int)(sbyte)(values[j + 16] * id + 8.5f));
            block[2 + j] = (byte)(q0 | (q1 << 4));
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
            float sum = BlockMath.Nibbles(v.X, 0, 0, 8, x[xb]) + BlockMath.Nibbles(v.Y, 0, 0, 8, x[xb + 1])
                      + BlockMath.Nibbles(v.Z, 0, 0, 8, x[xb + 2]) + BlockMath.Nibbles(v.W, 0, 0, 8, x[xb + 3])
                      + BlockMath.Nibbles(v.X, 4, 0, 8, x[xb + 4]) + BlockMath.Nibbles(v.Y, 4, 0, 8, x[xb + 5])
                      + BlockMath.Nibbles(v.Z, 4, 0, 8, x[xb + 6]) + BlockMath.Nibbles(v.W, 4, 0, 8, x[xb + 7]);
            return BlockMath.Half(s[sb]) * sum;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            float d = BlockMath.Half(s[sb]);
            for (int j = 0; j < 16; j++)
            {
                int b = BlockMath.Byte(v, j);
                sink.Write(ob + j, (float)((b & 15) - 8) * d);
                sink.Write(ob + j + 16, (float)((b >> 4) - 8) * d);
            }
        }
    }
}
