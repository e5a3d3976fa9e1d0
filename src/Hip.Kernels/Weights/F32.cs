using System.Buffers.Binary;
using ILGPU;

namespace Hip.Kernels;

/// <summary>IEEE float32 weights (ggml type 0). On the device: plain floats; 16-byte loads when a row is a multiple of 4.</summary>
public sealed class F32 : WeightTypeInfo
{
    public override WeightType Type => WeightType.F32;
    public override string Name => "f32";
    public override int ValuesPerBlock => 1;
    public override int BytesPerBlock => 4;
    public override bool IsQuantized => false;

    protected override void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values) =>
        values[0] = BinaryPrimitives.ReadSingleLittleEndian(block);

    protected override void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        BinaryPrimitives.WriteSingleLittleEndian(block, values[0]);

    /// <summary>Device reader: a "block" of 4 floats in one 16-byte load.</summary>
    internal struct Decoder : IBlockDecoder
    {
        public readonly int ValuesPerBlock => 4;
        public readonly int QuantVectors => 1;
        public readonly int ScaleWords => 0;
        public readonly int Chunks => 1;
        public readonly int ValuesPerChunk => 4;

        public readonly float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb)
        {
            var v = q[qb];
            var a = x[xb];
            return Interop.IntAsFloat(v.X) * a.X + Interop.IntAsFloat(v.Y) * a.Y + Interop.IntAsFloat(v.Z) * a.Z + Interop.IntAsFloat(v.W) * a.W;
        }

        public readonly void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
            where TSink : struct, IValueSink
        {
            var v = q[qb];
            sink.Write(ob, Interop.IntAsFloat(v.X));
            sink.Write(ob + 1, Interop.IntAsFloat(v.Y));
            sink.Write(ob + 2, Interop.IntAsFloat(v.Z));
            sink.Write(ob + 3, Interop.IntAsFloat(v.W));
        }
    }
}
