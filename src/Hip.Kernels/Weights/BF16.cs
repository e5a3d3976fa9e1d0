using System.Buffers.Binary;
using ILGPU;

namespace Hip.Kernels;

/// <summary>bfloat16 weights (ggml type 30). On the device: 16-bit patterns; 16-byte loads when a row is a multiple of 8.</summary>
public sealed class BF16 : WeightTypeInfo
{
    public override WeightType Type => WeightType.BF16;
    public override string Name => "bf16";
    public override int ValuesPerBlock => 1;
    public override int BytesPerBlock => 2;
    public override bool IsQuantized => false;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) =>
        values[0] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(block) << 16);

    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        BinaryPrimitives.WriteUInt16LittleEndian(block, WeightBits.FromFloat(values[0], WeightFormat.BF16));

    /// <summary>Device reader: a "block" of 8 bfloat16 in one 16-byte load.</summary>
    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 8;
        public readonly int QuantVectors => 1;
        public readonly int ScaleWords => 0;
        public readonly int Chunks => 1;
        public readonly int ValuesPerChunk => 8;

        private static float Low(uint w) => Interop.IntAsFloat(w << 16);
        private static float High(uint w) => Interop.IntAsFloat(w & 0xFFFF0000u);

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb];
            var a = x[xb];
            var b = x[xb + 1];
            return Low(v.X) * a.X + High(v.X) * a.Y + Low(v.Y) * a.Z + High(v.Y) * a.W
                 + Low(v.Z) * b.X + High(v.Z) * b.Y + Low(v.W) * b.Z + High(v.W) * b.W;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            for (int i = 0; i < 8; i++)
                sink.Write(ob + i, Interop.IntAsFloat((BlockMath.Word(v, i >> 1) >> (16 * (i & 1))) << 16));
        }
    }
}
