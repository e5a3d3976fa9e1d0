using System.Buffers.Binary;

namespace Hip.Kernels;

/// <summary>
/// One row of the weight-type table: the block layout of a <see cref="WeightType"/> as ggml stores it, host
/// dequantization (bit-identical to ggml's <c>to_float</c>) and quantization, and the device layout the kernels read.
/// Each type lives in its own file (Weights/Q4_K.cs, ...); <see cref="WeightTypes.Get"/> finds it.
/// </summary>
/// <remarks>
/// Device layout of a quantized matrix: two planes in one buffer of 32-bit words. The quant plane holds each block's
/// bytes except its <see cref="ScaleBytes"/> (whose count is a multiple of 16, so every block starts 16-byte aligned
/// and kernels use 16-byte loads); the scale plane holds the remaining bytes (fp16 scales, Q5's high bits), padded to
/// whole words. Blocks keep their row-major order in both planes.
/// </remarks>
public abstract class WeightTypeInfo
{
    /// <summary>The ggml type id.</summary>
    public abstract WeightType Type { get; }

    /// <summary>ggml's name of the type (e.g. "q4_K").</summary>
    public abstract string Name { get; }

    /// <summary>Values one block holds (1 for the float types).</summary>
    public abstract int ValuesPerBlock { get; }

    /// <summary>Bytes one block takes in a GGUF file.</summary>
    public abstract int BytesPerBlock { get; }

    /// <summary>Whether values are stored as blocks of quants with scales (every type but F32, F16, BF16).</summary>
    public virtual bool IsQuantized => true;

    /// <summary>Whether <see cref="Quantize"/> is implemented for this type.</summary>
    public virtual bool CanQuantize => true;

    /// <summary>Offset in a block of the bytes that go to the scale plane.</summary>
    internal virtual int ScaleOffset => 0;

    /// <summary>Count of the bytes that go to the scale plane (0: the whole block is in the quant plane).</summary>
    internal virtual int ScaleBytes => 0;

    /// <summary>32-bit words per block in the device's quant plane (a multiple of 4).</summary>
    internal int QuantWords => (BytesPerBlock - ScaleBytes) / 4;

    /// <summary>32-bit words per block in the device's scale plane.</summary>
    internal int ScaleWords => (ScaleBytes + 3) / 4;

    /// <summary>Bytes of one row of <paramref name="cols"/> values; throws naming the type when cols is not a whole number of blocks.</summary>
    public long BytesPerRow(long cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (cols % ValuesPerBlock != 0)
            throw new InvalidDataException(
                $"{Name} stores rows in blocks of {ValuesPerBlock} values, but a row has {cols} values ({cols % ValuesPerBlock} left over). " +
                $"Use a type whose block divides the row length (K-quants need multiples of 256; Q4_0..Q8_0 of 32).");
        return cols / ValuesPerBlock * BytesPerBlock;
    }

    /// <summary>Host dequantization of whole blocks, bit-identical to ggml's <c>to_float</c>. values: blocks.Length / BytesPerBlock · ValuesPerBlock.</summary>
    public void Dequantize(ReadOnlySpan<byte> blocks, Span<float> values)
    {
        int count = CheckBlocks(blocks.Length, values.Length);
        for (int b = 0; b < count; b++)
            DequantizeBlock(blocks.Slice(b * BytesPerBlock, BytesPerBlock), values.Slice(b * ValuesPerBlock, ValuesPerBlock));
    }

    /// <summary>Host quantization of whole blocks (valid blocks with small error; not bit-equal to ggml's quantizer).</summary>
    public void Quantize(ReadOnlySpan<float> values, Span<byte> blocks)
    {
        if (!CanQuantize)
            throw new NotSupportedException($"Quantizing to {Name} is not implemented; quantize to q8_0, q4_0, q4_K, q5_K, q6_K, f16 or bf16.");
        int count = CheckBlocks(blocks.Length, values.Length);
        for (int b = 0; b < count; b++)
            QuantizeBlock(values.Slice(b * ValuesPerBlock, ValuesPerBlock), blocks.Slice(b * BytesPerBlock, BytesPerBlock));
    }

    /// <summary>One block's <see cref="ValuesPerBlock"/> values from its <see cref="BytesPerBlock"/> bytes.</summary>
    protected abstract void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> values);

    /// <summary>One block's bytes from its values.</summary>
    protected virtual void QuantizeBlock(ReadOnlySpan<float> values, Span<byte> block) =>
        throw new NotSupportedException($"Quantizing to {Name} is not implemented.");

    private int CheckBlocks(int byteCount, int valueCount)
    {
        if (byteCount % BytesPerBlock != 0)
            throw new InvalidDataException($"{Name}: {byteCount} bytes is not a whole number of {BytesPerBlock}-byte blocks (truncated data?).");
        int count = byteCount / BytesPerBlock;
        if ((long)count * ValuesPerBlock != valueCount)
            throw new ArgumentException($"{Name}: {count} blocks hold {(long)count * ValuesPerBlock} values, but the value span has {valueCount}.");
        return count;
    }

    /// <summary>Splits one block into its quant-plane words and scale-plane words (the device layout).</summary>
    internal void Pack(ReadOnlySpan<byte> block, Span<uint> quant, Span<uint> scale)
    {
        Span<byte> quantBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(quant);
        Span<byte> scaleBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(scale);
        scaleBytes.Clear();
        block[..ScaleOffset].CopyTo(quantBytes);
        block.Slice(ScaleOffset, ScaleBytes).CopyTo(scaleBytes);
        block[(ScaleOffset + ScaleBytes)..].CopyTo(quantBytes[ScaleOffset..]);
    }

    /// <summary>The inverse of <see cref="Pack"/>.</summary>
    internal void Unpack(ReadOnlySpan<uint> quant, ReadOnlySpan<uint> scale, Span<byte> block)
    {
        var quantBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(quant);
        var scaleBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(scale);
        quantBytes[..ScaleOffset].CopyTo(block);
        scaleBytes[..ScaleBytes].CopyTo(block[ScaleOffset..]);
        quantBytes[ScaleOffset..].CopyTo(block[(ScaleOffset + ScaleBytes)..]);
    }

    // Little helpers for the per-type files.
    private protected static float Half(ReadOnlySpan<byte> block, int offset) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block[offset..]));

    private protected static void WriteHalf(Span<byte> block, int offset, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(block[offset..], BitConverter.HalfToUInt16Bits((System.Half)value));

    /// <summary>The float a value becomes after a round trip through fp16 (scales are stored as fp16).</summary>
    private protected static float RoundToHalf(float value) => (float)(System.Half)value;

    /// <summary>C's roundf: halves away from zero.</summary>
    private protected static int Round(float value) => (int)MathF.Round(value, MidpointRounding.AwayFromZero);

    public override string ToString() => Name;
}
