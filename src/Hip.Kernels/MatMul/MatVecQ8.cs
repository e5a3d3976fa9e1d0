using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Reads one K-quant type's device blocks against activations quantized to int8 (<see cref="MatVecQ8"/>): a block is cut
/// into <see cref="Units"/> units, the work of one lane, each a few 16-byte loads and integer dot products (dp4a).
/// </summary>
internal interface IQ8Decoder
{
    int ValuesPerBlock { get; }
    int QuantVectors { get; }
    int ScaleWords { get; }
    int Units { get; }

    /// <summary>
    /// Σ w·x over the unit's values with x ≈ dx·xq. xq: the row's int8 activations, 4 to a word; dx, sx: scale and exact
    /// float sum of each 32-value block; s16: Σ xq of each 16-value group; xw, xg: the block's first word and 32-block.
    /// </summary>
    float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int unit,
        ArrayView<int> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, int xw, int xg);
}

/// <summary>
/// y = x · Wᵀ for decode on K-quant weights, the way the hardware likes it: each group first quantizes its row of x to
/// int8 in 32-value blocks (scale amax/127, round half away from zero; the exact float sum of each block and the int sum
/// of each 16 values kept beside) into shared memory, then one warp per output row multiplies 4 quants at a time with
/// dp4a (integer, exact) and applies the block scales in float32. The activations' rounding (at most dx/2 per value) is
/// the only difference from <see cref="MatVec.Reference"/>; <see cref="Reference"/> computes exactly what the kernel
/// computes, on the host. llama.cpp's CUDA mat-vec quantizes activations the same way (q8_1).
/// </summary>
internal static class MatVecQ8
{
    /// <summary>Warps (output rows) per group; each group quantizes x once for all of them.</summary>
    public const int WarpsPerGroup = 8;

    /// <summary>Shared memory of a group, in 32-bit words: xq n/4, dx n/32, sx n/32, s16 n/16.</summary>
    public static int SharedWords(int n) => n / 4 + n / 16 + n / 16;

    // x: [rows, n]   w: [m, n] as blocks   y: [rows, m]   n a multiple of the block size (256)
    // Launch: grid (ceil(m / WarpsPerGroup), rows), group (WarpsPerGroup * 32, 1), dynamic shared SharedWords(n) ints.
    public static void Kernel<TDecoder>(ArrayView<float> x, ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<float> y, int n, int m)
        where TDecoder : struct, IQ8Decoder
    {
        var shared = SharedMemory.GetDynamic<int>();
        var xq = shared.SubView(0, n / 4);
        var dx = shared.SubView(n / 4, n / 32).Cast<float>();
        var sx = shared.SubView(n / 4 + n / 32, n / 32).Cast<float>();
        var s16 = shared.SubView(n / 4 + n / 16, n / 16);
        int warps = Group.DimX / Warp.WarpSize, lane = Warp.LaneIdx, r = Grid.IdxY;
        long xRow = (long)r * n;

        // 1. this row of x → int8 blocks of 32, one warp per block
        for (int b = Warp.WarpIdx; b < n / 32; b += warps)
        {
            float v = x[xRow + 32 * b + lane];
            float amax = Reductions.WarpMax(MathF.Abs(v));
            float d = amax / 127f;
            int qv = amax > 0f ? RoundAway(v / d) : 0;
            float sum = Reductions.WarpSum(v);
            int half = qv;
            for (int offset = 8; offset > 0; offset /= 2)   // sums within lanes 0..15 and 16..31
                half += Warp.ShuffleXor(half, offset);
            int b1 = Warp.ShuffleDown(qv, 1), b2 = Warp.ShuffleDown(qv, 2), b3 = Warp.ShuffleDown(qv, 3);
            if ((lane & 3) == 0)
                xq[8 * b + lane / 4] = (qv & 0xFF) | ((b1 & 0xFF) << 8) | ((b2 & 0xFF) << 16) | (b3 << 24);
            if (lane == 0)
            {
                dx[b] = d;
                sx[b] = sum;
            }
            if ((lane & 15) == 0)
                s16[2 * b + lane / 16] = half;
        }
        Group.Barrier();

        // 2. one warp per output row, lanes over consecutive units
        int o = Grid.IdxX * warps + Warp.WarpIdx;
        float acc0 = 0f, acc1 = 0f;
        if (o < m)
        {
            var decoder = default(TDecoder);
            int units = decoder.Units, valuesPerBlock = decoder.ValuesPerBlock;
            int blocks = n / valuesPerBlock, total = blocks * units;
            long qRow = (long)o * blocks * decoder.QuantVectors, sRow = (long)o * blocks * decoder.ScaleWords;
            int i = lane;
            for (; i + 32 < total; i += 64)
            {
                int b0 = i / units, u0 = i - b0 * units;
                int b1 = (i + 32) / units, u1 = i + 32 - b1 * units;
                acc0 += decoder.Dot(q, qRow + (long)b0 * decoder.QuantVectors, s, sRow + (long)b0 * decoder.ScaleWords, u0,
                    xq, dx, sx, s16, b0 * (valuesPerBlock / 4), b0 * (valuesPerBlock / 32));
                acc1 += decoder.Dot(q, qRow + (long)b1 * decoder.QuantVectors, s, sRow + (long)b1 * decoder.ScaleWords, u1,
                    xq, dx, sx, s16, b1 * (valuesPerBlock / 4), b1 * (valuesPerBlock / 32));
            }
            if (i < total)
            {
                int b0 = i / units, u0 = i - b0 * units;
                acc0 += decoder.Dot(q, qRow + (long)b0 * decoder.QuantVectors, s, sRow + (long)b0 * decoder.ScaleWords, u0,
                    xq, dx, sx, s16, b0 * (valuesPerBlock / 4), b0 * (valuesPerBlock / 32));
            }
        }
        float acc = Reductions.WarpSum(acc0 + acc1);
        if (o < m && lane == 0)
            y[(long)r * m + o] = acc;
    }

    /// <summary>Round half away from zero (C's roundf, as ggml quantizes).</summary>
    public static int RoundAway(float v) => (int)(v + (v >= 0f ? 0.5f : -0.5f));

    /// <summary>
    /// The host form: x's rows quantized exactly as the kernel does (<see cref="QuantizeRow"/>), then per block the
    /// type's <paramref name="dot"/> (the same integer sums and float scale products as the device decoder).
    /// </summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, WeightTypeInfo type, Span<float> y, int rows, int n, int m,
        HostDot dot)
    {
        int blocks = n / type.ValuesPerBlock, blockBytes = type.BytesPerBlock;
        var xq = new sbyte[n];
        var dx = new float[n / 32];
        var sx = new float[n / 32];
        for (int r = 0; r < rows; r++)
        {
            QuantizeRow(x.Slice(r * n, n), xq, dx, sx);
            for (int o = 0; o < m; o++)
            {
                double acc = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int v0 = b * type.ValuesPerBlock;
                    acc += dot(w.Slice((o * blocks + b) * blockBytes, blockBytes), xq.AsSpan(v0, type.ValuesPerBlock),
                        dx.AsSpan(v0 / 32, type.ValuesPerBlock / 32), sx.AsSpan(v0 / 32, type.ValuesPerBlock / 32));
                }
                y[r * m + o] = (float)acc;
            }
        }
    }

    /// <summary>One block's Σ w·x from its file bytes and the block's int8 activations, scales and exact sums.</summary>
    public delegate double HostDot(ReadOnlySpan<byte> block, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> dx, ReadOnlySpan<float> sx);

    /// <summary>x → int8 in 32-value blocks as the kernel's first phase: d = amax/127, q = round(x/d), and Σx per block.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<sbyte> xq, Span<float> dx, Span<float> sx)
    {
        for (int b = 0; b < x.Length / 32; b++)
        {
            float amax = 0f, sum = 0f;
            for (int i = 0; i < 32; i++)
            {
                amax = MathF.Max(amax, MathF.Abs(x[32 * b + i]));
                sum += x[32 * b + i];
            }
            float d = amax / 127f;
            for (int i = 0; i < 32; i++)
                xq[32 * b + i] = (sbyte)(amax > 0f ? RoundAway(x[32 * b + i] / d) : 0);
            dx[b] = d;
            sx[b] = sum;
        }
    }
}
