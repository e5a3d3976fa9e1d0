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

    /// <summary>Eight consecutive values from <paramref name="index"/>, a multiple of 8 (one 16-byte store where the sink can).</summary>
    void Write8(long index, float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7);
}

/// <summary>Writes float32 values (one at a time: the embedding writes into views at any offset).</summary>
internal struct FloatSink(ArrayView<float> view) : IValueSink
{
    private readonly ArrayView<float> _view = view;
    public readonly void Write(long index, float value) => _view[index] = value;

    public readonly void Write8(long index, float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
    {
        _view[index] = v0; _view[index + 1] = v1; _view[index + 2] = v2; _view[index + 3] = v3;
        _view[index + 4] = v4; _view[index + 5] = v5; _view[index + 6] = v6; _view[index + 7] = v7;
    }
}

/// <summary>
/// Writes IEEE fp16 bit patterns (round to nearest even); eight at a time as one 16-byte store, so the view must start
/// on 16 bytes (the prefill GEMM's weight scratch does).
/// </summary>
internal struct HalfSink(ArrayView<ushort> view) : IValueSink
{
    private readonly ArrayView<ushort> _view = view;
    public readonly void Write(long index, float value) => _view[index] = BlockMath.ToHalfBits(value);

    public readonly void Write8(long index, float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7) =>
        _view.Cast<UInt4>()[index >> 3] = new UInt4 { X = BlockMath.HalfPair(v0, v1), Y = BlockMath.HalfPair(v2, v3), Z = BlockMath.HalfPair(v4, v5), W = BlockMath.HalfPair(v6, v7) };
}
