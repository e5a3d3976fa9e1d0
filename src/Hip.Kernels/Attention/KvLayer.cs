using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// One layer's keys and values in the <see cref="KvLayout"/> block layout, [blocks, kvHeads, 64, headDim] each, in one of
/// the two precisions: the views of the other precision are empty.
/// </summary>
public readonly struct KvLayer
{
    private KvLayer(KvPrecision precision, ArrayView<float> keysF32, ArrayView<float> valuesF32,
        ArrayView<ushort> keysF16, ArrayView<ushort> valuesF16, int capacity)
    {
        Precision = precision;
        KeysF32 = keysF32;
        ValuesF32 = valuesF32;
        KeysF16 = keysF16;
        ValuesF16 = valuesF16;
        Capacity = capacity;
    }

    /// <summary>How the elements are stored.</summary>
    public KvPrecision Precision { get; }

    /// <summary>Keys when <see cref="Precision"/> is F32: [blocks, kvHeads, 64, headDim].</summary>
    public ArrayView<float> KeysF32 { get; }

    /// <summary>Values when <see cref="Precision"/> is F32: [blocks, kvHeads, 64, headDim].</summary>
    public ArrayView<float> ValuesF32 { get; }

    /// <summary>Keys when <see cref="Precision"/> is F16 (half bits): [blocks, kvHeads, 64, headDim].</summary>
    public ArrayView<ushort> KeysF16 { get; }

    /// <summary>Values when <see cref="Precision"/> is F16 (half bits): [blocks, kvHeads, 64, headDim].</summary>
    public ArrayView<ushort> ValuesF16 { get; }

    /// <summary>Positions the layer holds (the views cover whole blocks: <see cref="KvLayout.Blocks"/> of it).</summary>
    public int Capacity { get; }

    /// <summary>Elements of the key (or value) view.</summary>
    public long Elements => Precision == KvPrecision.F32 ? KeysF32.Length : KeysF16.Length;

    /// <summary>A float32 layer.</summary>
    public static KvLayer F32(ArrayView<float> keys, ArrayView<float> values, int capacity) =>
        new(KvPrecision.F32, keys, values, default, default, capacity);

    /// <summary>A float16 layer (IEEE half bits).</summary>
    public static KvLayer F16(ArrayView<ushort> keys, ArrayView<ushort> values, int capacity) =>
        new(KvPrecision.F16, default, default, keys, values, capacity);
}
