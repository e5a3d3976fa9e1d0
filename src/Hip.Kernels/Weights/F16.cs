using System.Buffers.Binary;
using ILGPU;

namespace Hip.Kernels;

/// <summary>IEEE float16 weights (ggml type 1). On the device: 16-bit patterns; 16-byte loads when a row is a multiple of 8.</summary>
public sealed class F16 : WeightTypeInfo
{
    public override WeightType Type => WeightType.F16;
    public override string Name => "f16";
    public override int ValuesPerBlock => 1;
    public override int BytesPerBlock => 2;
    public override bool IsQuantized => false;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) => values[0] = Half(block, 0);

    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) => WriteHalf(block, 0, values[0]);

    /// <summary>Device reader: a "block" of 8 halves in one 16-byte load.</summary>
    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 8;
        public readonly int QuantVectors => 1;
        public readonly int ScaleWords => 0;
        public readonly int Chunks => 1;
        public readonly int ValuesPerChunk => 8;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb];
            var a = x[xb];
            var b = x[xb + 1];
            return BlockMath.Half(v.X) * a.X + BlockMath.HalfHigh(v.X) * a.Y + BlockMath.Half(v.Y) * a.Z + BlockMath.HalfHigh(v.Y) * a.W
                 + BlockMath.Half(v.Z) * b.X + BlockMath.HalfHigh(v.Z) * b.Y + BlockMath.Half(v.W) * b.Z + BlockMath.HalfHigh(v.W) * b.W;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            for (int i = 0; i < 8; i++)
                sink.Write(ob + i, BlockMath.Half(BlockMath.Word(v, i >> 1) >> (16 * (i & 1))));
        }
    }
}
