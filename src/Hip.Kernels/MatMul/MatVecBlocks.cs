using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// y = x · Wᵀ (decode) with W read as blocks through a <see cref="IBlockDecoder"/>: every quantized type, and F32/F16/BF16
/// rows that are whole 16-byte vectors. One warp per output; lanes take consecutive chunks (16-byte loads that together
/// cover contiguous memory), two chunks in flight per lane; float32 accumulation. Same function as
/// <see cref="MatVec.Reference"/> on the dequantized weights.
/// </summary>
internal static class MatVecBlocks
{
    // x: [rows, n]   w: [m, n] as blocks   y: [rows, m]
    // Launch: grid (ceil(m / warpsPerGroup), rows), group (warpsPerGroup * warpSize, 1).
    public static void Kernel<TDecoder>(ArrayView<float> x, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<float> y, int n, int m)
        where TDecoder : struct, IBlockDecoder
    {
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int o = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        int r = Grid.IdxY;
        float acc0 = 0f, acc1 = 0f;
        if (o < m)
        {
            var decoder = default(TDecoder);
            int chunks = decoder.Chunks, valuesPerBlock = decoder.ValuesPerBlock;
            int blocks = n / valuesPerBlock, total = blocks * chunks, stride = Warp.WarpSize;
            long qRow = (long)o * blocks * decoder.QuantVectors, sRow = (long)o * blocks * decoder.ScaleWords;
            var x4 = x.Cast<Float4>();
            long xRow = (long)r * (n / 4);
            int i = Warp.LaneIdx;
            for (; i + stride < total; i += 2 * stride)
            {
                int b0 = i / chunks, c0 = i - b0 * chunks;
                int b1 = (i + stride) / chunks, c1 = i + stride - b1 * chunks;
                acc0 += decoder.Dot(q, qRow + (long)b0 * decoder.QuantVectors, s, sRow + (long)b0 * decoder.ScaleWords, c0, x4, xRow + (long)b0 * (valuesPerBlock / 4));
                acc1 += decoder.Dot(q, qRow + (long)b1 * decoder.QuantVectors, s, sRow + (long)b1 * decoder.ScaleWords, c1, x4, xRow + (long)b1 * (valuesPerBlock / 4));
            }
            if (i < total)
            {
                int b0 = i / chunks, c0 = i - b0 * chunks;
                acc0 += decoder.Dot(q, qRow + (long)b0 * decoder.QuantVectors, s, sRow + (long)b0 * decoder.ScaleWords, c0, x4, xRow + (long)b0 * (valuesPerBlock / 4));
            }
        }
        float acc = Reductions.WarpSum(acc0 + acc1);
        if (o < m && Warp.LaneIdx == 0)
            y[(long)r * m + o] = acc;
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
