using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// y = x · Wᵀ (decode) with W read as blocks through a <see cref="IBlockDecoder"/>: every quantized type, and F32/F16/BF16
/// rows that are whole 16-byte vectors. One warp per output; lanes take consecutive chunks (16-byte loads that together
/// cover contiguous memory), four chunks in flight per lane; float32 accumulation. Same function as
/// <see cref="MatVec.Reference"/> on the dequantized weights.
/// </summary>
internal static class MatVecBlocks
{
    // x: [rows, n]   w_i: [m_i, n] as blocks   y_i: [rows, m_i], for the (up to three) matrices of t
    // Launch: grid (ceil(t.Total / warpsPerGroup), rows), group (warpsPerGroup * warpSize, 1).
    public static void Kernel<TDecoder>(ArrayView<float> x, MatVecTargets t, int n)
        where TDecoder : struct, IBlockDecoder
    {
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int global = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        int r = Grid.IdxY;
        t.Select(global, out var q, out var s, out var y, out int o, out int m);
        bool valid = global < t.Total;
        float acc0 = 0f, acc1 = 0f, acc2 = 0f, acc3 = 0f;
        if (valid)
        {
            var decoder = default(TDecoder);
            int chunks = decoder.Chunks, valuesPerBlock = decoder.ValuesPerBlock;
            int blocks = n / valuesPerBlock, total = blocks * chunks, stride = Warp.WarpSize;
            long qRow = (long)o * blocks * decoder.QuantVectors, sRow = (long)o * blocks * decoder.ScaleWords;
            var x4 = x.Cast<Float4>();
            long xRow = (long)r * (n / 4);
            int i = Warp.LaneIdx;
            for (; i + 3 * stride < total; i += 4 * stride)   // four chunks in flight a lane
            {
                acc0 += ChunkDot(decoder, q, qRow, s, sRow, x4, xRow, i, chunks, valuesPerBlock);
                acc1 += ChunkDot(decoder, q, qRow, s, sRow, x4, xRow, i + stride, chunks, valuesPerBlock);
                acc2 += ChunkDot(decoder, q, qRow, s, sRow, x4, xRow, i + 2 * stride, chunks, valuesPerBlock);
                acc3 += ChunkDot(decoder, q, qRow, s, sRow, x4, xRow, i + 3 * stride, chunks, valuesPerBlock);
            }
            for (; i < total; i += stride)
                acc0 += ChunkDot(decoder, q, qRow, s, sRow, x4, xRow, i, chunks, valuesPerBlock);
        }
        float acc = Reductions.WarpSum((acc0 + acc1) + (acc2 + acc3));
        if (valid && Warp.LaneIdx == 0)
            y[(long)r * m + o] = acc;
    }

    // chunk i of a row: block i / chunks, chunk i % chunks
    private static float ChunkDot<TDecoder>(TDecoder decoder, ArrayView<UInt4> q, long qRow, ArrayView<uint> s, long sRow,
        ArrayView<Float4> x4, long xRow, int i, int chunks, int valuesPerBlock)
        where TDecoder : struct, IBlockDecoder
    {
        int b = i / chunks, c = i - b * chunks;
        return decoder.Dot(q, qRow + (long)b * decoder.QuantVectors, s, sRow + (long)b * decoder.ScaleWords, c, x4, xRow + (long)b * (valuesPerBlock / 4));
    }

    // One thread per output element (index over rows * m), no shuffles: the CPU accelerator's variant.
    public static void PerThreadKernel<TDecoder>(Index1D index, ArrayView<float> x, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<float> y, int n, int m)
        where TDecoder : struct, IBlockDecoder
    {
        var decoder = default(TDecoder);
        int r = index / m, o = index % m;
        int chunks = decoder.Chunks, valuesPerBlock = decoder.ValuesPerBlock, blocks = n / valuesPerBlock;
        long qRow = (long)o * blocks * decoder.QuantVectors, sRow = (long)o * blocks * decoder.ScaleWords;
        var x4 = x.Cast<Float4>();
        long xRow = (long)r * (n / 4);
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
            for (int c = 0; c < chunks; c++)
                acc += decoder.Dot(q, qRow + (long)b * decoder.QuantVectors, s, sRow + (long)b * decoder.ScaleWords, c, x4, xRow + (long)b * (valuesPerBlock / 4));
        y[index] = acc;
    }
}
