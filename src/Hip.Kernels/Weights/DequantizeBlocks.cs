using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Block dequantization kernels: the embedding gather (x[t] = table[tokens[t]]) and whole rows into float32 or fp16
/// scratch (prefill: the rows a mat-mul tile needs). One thread per chunk of a block.
/// </summary>
internal static class DequantizeBlocks
{
    // table: [vocab, dim] as blocks   tokens: [count]   x: [count, dim]; index over count * blocksPerRow * chunks.
    // Ids outside [0, vocab) are refused on the host; the kernel clamps as a last guard.
    public static void EmbedKernel<TDecoder>(Index1D i, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<int> tokens, ArrayView<float> x, int dim, int vocab)
        where TDecoder : struct, IBlockDecoder
    {
        var decoder = default(TDecoder);
        int chunks = decoder.Chunks, blocks = dim / decoder.ValuesPerBlock, perRow = blocks * chunks;
        int t = i / perRow, rem = i - t * perRow, b = rem / chunks, c = rem - b * chunks;
        long block = (long)IntrinsicMath.Clamp(tokens[t], 0, vocab - 1) * blocks + b;
        decoder.Dequantize(q, block * decoder.QuantVectors, s, block * decoder.ScaleWords, c,
            new FloatSink(x), (long)t * dim + (long)b * decoder.ValuesPerBlock);
    }

    // w: [m, n] as blocks   output: [rowCount, n] = rows firstRow.. of w; index over rowCount * blocksPerRow * chunks.
    public static void ToFloatKernel<TDecoder>(Index1D i, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<float> output, int firstRow, int n)
        where TDecoder : struct, IBlockDecoder =>
        Rows<TDecoder, FloatSink>(i, q, s, new FloatSink(output), firstRow, n);

    // As ToFloatKernel, writing IEEE fp16 bits (round to nearest even).
    public static void ToHalfKernel<TDecoder>(Index1D i, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<ushort> output, int firstRow, int n)
        where TDecoder : struct, IBlockDecoder =>
        Rows<TDecoder, HalfSink>(i, q, s, new HalfSink(output), firstRow, n);

    private static void Rows<TDecoder, TSink>(int i, ArrayView<UInt4> q, ArrayView<uint> s, TSink sink, int firstRow, int n)
        where TDecoder : struct, IBlockDecoder
        where TSink : struct, IValueSink
    {
        var decoder = default(TDecoder);
        int chunks = decoder.Chunks, blocks = n / decoder.ValuesPerBlock, perRow = blocks * chunks;
        int row = i / perRow, rem = i - row * perRow, b = rem / chunks, c = rem - b * chunks;
        long block = (long)(firstRow + row) * blocks + b;
        decoder.Dequantize(q, block * decoder.QuantVectors, s, block * decoder.ScaleWords, c, sink, (long)row * n + (long)b * decoder.ValuesPerBlock);
    }
}
