using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Reads one weight type's device blocks inside a kernel (a struct, so kernels specialise on it). A block is cut
/// into <see cref="Chunks"/> chunks, the unit of work of one thread: a few 16-byte loads of quants and the
/// scales they need, then <see cref="ValuesPerChunk"/> products with x.
/// </summary>
/// <remarks>
/// Arguments: q the quant plane (16-byte vectors), qb the block's first vector; s the scale plane, sb the block's first
/// word; x the activations as float4, xb the float4 index of the block's first value; ob the output index of the
/// block's first value. Chunk c covers values that the type's file documents.
/// </remarks>
internal interface IBlockDecoder
{
    int ValuesPerBlock { get; }
    int QuantVectors { get; }
    int ScaleWords { get; }
    int Chunks { get; }
    int ValuesPerChunk { get; }

    /// <summary>Σ w·x over the chunk's values, float32.</summary>
    float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, ArrayView<Float4> x, long xb);

    /// <summary>Writes the chunk's values to sink[ob + position in block].</summary>
    void Dequantize<TSink>(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int chunk, TSink sink, long ob)
        where TSink : struct, IValueSink;
}

/// <summary>Where <see cref="IBlockDecoder.Dequantize"/> writes its values.</summary>
internal interface IValueSink
{
    void Write(long index, float value);
}

/// <summary>Writes float32 values.</summary>
internal struct FloatSink(ArrayView<float> view) : IValueSink
{
    private readonly ArrayView<float> _view = view;
    public readonly void Write(long index, float value) => _view[index] = value;
}

/// <summary>Writes IEEE fp16 bit patterns (round to nearest even).</summary>
internal struct HalfSink(ArrayView<ushort> view) : IValueSink
{
    private readonly ArrayView<ushort> _view = view;
    public readonly void Write(long index, float value) => _view[index] = BlockMath.ToHalfBits(value);
}
