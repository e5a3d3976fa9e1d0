using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Reads one type's device blocks against activations quantized to int8 (<see cref="MatVecQ8"/>). A block is cut into
/// <see cref="Pieces"/> pieces, the work of one lane in one step: a piece is one 16-byte vector of the block's quants, so
/// the lanes of a warp read consecutive vectors (coalesced), and its activations are one or two 16-value int8 vectors.
/// </summary>
internal interface IQ8Decoder
{
    int ValuesPerBlock { get; }
    int QuantVectors { get; }
    int ScaleWords { get; }
    int Pieces { get; }

    /// <summary>
    /// The activations piece <paramref name="piece"/> of a block multiplies. xq: int8 activations as 16-byte vectors
    /// (16 values); dx, sx: scale and exact float sum of each 32-value block; s16: Σ xq of each 16-value vector; xv, xg:
    /// the block's first vector and first 32-block.
    /// </summary>
    XPiece LoadX(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16, long xv, long xg, int piece);

    /// <summary>Σ w·x over the piece's values (x ≈ dx·xq, from <see cref="LoadX"/>): qb, sb the block in the planes.</summary>
    float Dot(ArrayView<UInt4> q, long qb, ArrayView<uint> s, long sb, int piece, XPiece x);
}

/// <summary>The int8 activations of one piece (<see cref="IQ8Decoder.LoadX"/>): up to two 16-value vectors with their scales and sums.</summary>
internal struct XPiece
{
    public UInt4 A, B;     // int8 activations, 16 each
    public float D0, D1;   // their 32-block scales
    public float S0, S1;   // exact float sums of 32-blocks (Q4_K)
    public int T0, T1;     // Σ xq of each 16-value vector (Q6_K)
}

/// <summary>
/// y = x · Wᵀ for decode on Q4_K, Q5_K, Q6_K and Q8_0 weights, the way llama.cpp's CUDA mat-vec does it: x is first quantized
/// to int8 in 32-value blocks (<see cref="QuantizeKernel"/>: scale amax/127, round half away from zero; the exact float
/// sum of each block and the int sum of each 16 values kept beside), then a warp per output row (per two rows in large launches) multiplies 4 quants at
/// a time with dp4a (integer, exact) and applies the block scales in float32. The activations' rounding (at most dx/2 per
/// value) is the only difference from <see cref="MatVec.Reference"/>; <see cref="Reference"/> computes on the host
/// exactly what the kernels compute. One quantization serves every matrix that multiplies the same x (q, k and v).
/// </summary>
internal static class MatVecQ8
{
    /// <summary>Ints of quantized activations for rows of n values: xq n/4, dx n/32, sx n/32, s16 n/16 per row.</summary>
    public static long ScratchInts(int rows, int n) => (long)rows * (n / 4 + n / 16 + n / 16);

    /// <summary>The parts of a scratch of <see cref="ScratchInts"/> ints.</summary>
    public static (ArrayView<UInt4> Xq, ArrayView<float> Dx, ArrayView<float> Sx, ArrayView<int> S16) Parts(ArrayView<int> scratch, int rows, int n)
    {
        long words = (long)rows * n / 4, blocks = (long)rows * n / 32;
        return (scratch.SubView(0, words).Cast<UInt4>(), scratch.SubView(words, blocks).Cast<float>(),
            scratch.SubView(words + blocks, blocks).Cast<float>(), scratch.SubView(words + 2 * blocks, 2 * blocks));
    }

    // x: [rows, n] (n a multiple of 32) → xq [rows·n/4 words], dx, sx [rows·n/32], s16 [rows·n/16]. One thread per 32-block.
    public static void QuantizeKernel(Index1D block, ArrayView<float> x, ArrayView<int> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16)
    {
        var x4 = x.Cast<Float4>();
        long v = 8L * block;
        Float4 a0 = x4[v], a1 = x4[v + 1], a2 = x4[v + 2], a3 = x4[v + 3], a4 = x4[v + 4], a5 = x4[v + 5], a6 = x4[v + 6], a7 = x4[v + 7];
        float amax = MathF.Max(MathF.Max(MathF.Max(AbsMax(a0), AbsMax(a1)), MathF.Max(AbsMax(a2), AbsMax(a3))),
                               MathF.Max(MathF.Max(AbsMax(a4), AbsMax(a5)), MathF.Max(AbsMax(a6), AbsMax(a7))));
        float sum = BlockMath.Sum(a0) + BlockMath.Sum(a1) + BlockMath.Sum(a2) + BlockMath.Sum(a3)
                  + BlockMath.Sum(a4) + BlockMath.Sum(a5) + BlockMath.Sum(a6) + BlockMath.Sum(a7);
        float d = amax / 127f;
        int low = 0, high = 0;
        long w = 8L * block;
        xq[w] = Pack(a0, d, ref low);
        xq[w + 1] = Pack(a1, d, ref low);
        xq[w + 2] = Pack(a2, d, ref low);
        xq[w + 3] = Pack(a3, d, ref low);
        xq[w + 4] = Pack(a4, d, ref high);
        xq[w + 5] = Pack(a5, d, ref high);
        xq[w + 6] = Pack(a6, d, ref high);
        xq[w + 7] = Pack(a7, d, ref high);
        dx[block] = d;
        sx[block] = sum;
        s16[2L * block] = low;
        s16[2L * block + 1] = high;
    }

    internal static float AbsMax(Float4 a) => MathF.Max(MathF.Max(MathF.Abs(a.X), MathF.Abs(a.Y)), MathF.Max(MathF.Abs(a.Z), MathF.Abs(a.W)));

    // four values → four int8 (round(x/d), 0 when d is 0) in one word, lowest first; adds them to sum
    internal static int Pack(Float4 a, float d, ref int sum)
    {
        int q0 = d > 0f ? RoundAway(a.X / d) : 0, q1 = d > 0f ? RoundAway(a.Y / d) : 0;
        int q2 = d > 0f ? RoundAway(a.Z / d) : 0, q3 = d > 0f ? RoundAway(a.W / d) : 0;
        sum += q0 + q1 + q2 + q3;
        return (q0 & 0xFF) | ((q1 & 0xFF) << 8) | ((q2 & 0xFF) << 16) | (q3 << 24);
    }

    /// <summary>Rows of W a warp of <see cref="Kernel"/> may take (the launch's rowsPerWarp).</summary>
    public const int MaxRowsPerWarp = 2;

    // xq..s16: the quantized x (QuantizeKernel)   t: up to three matrices of one type (w_i: [m_i, n] as blocks, y_i:
    // [rows, m_i])   n a multiple of the block size   rowsPerWarp: 1 or 2
    // Warp g takes rows g·rowsPerWarp.. of [W0; W1; W2] for x row Grid.IdxY. Each step a lane takes pieces p and p + 32 of
    // the row (the x of both loaded once for every row of the warp), so a warp's loads of a step are consecutive vectors.
    // Launch: grid (ceil(ceil(t.Total / rowsPerWarp) / warpsPerGroup), rows), group (warpsPerGroup * 32, 1).
    internal static void Kernel<TDecoder>(ArrayView<UInt4> xq, ArrayView<float> dx, ArrayView<float> sx, ArrayView<int> s16,
        MatVecTargets t, int n, int rowsPerWarp)
        where TDecoder : struct, IQ8Decoder
    {
        int warps = Group.DimX / Warp.WarpSize, lane = Warp.LaneIdx, r = Grid.IdxY;
        int first = (Grid.IdxX * warps + Warp.WarpIdx) * rowsPerWarp;
        bool two = rowsPerWarp > 1;
        int last = t.Total - 1;
        // rows past the end read the last row again (valid addresses, no divergence) and store nothing
        t.Select(Math.Min(first, last), out var q0, out var s0, out var y0, out int o0, out int m0);
        t.Select(Math.Min(first + 1, last), out var q1, out var s1, out var y1, out int o1, out int m1);
        var decoder = default(TDecoder);
        int valuesPerBlock = decoder.ValuesPerBlock, per = decoder.Pieces, qv = decoder.QuantVectors, sw = decoder.ScaleWords;
        int blocks = n / valuesPerBlock, pieces = blocks * per;
        long q0Row = (long)o0 * blocks * qv, s0Row = (long)o0 * blocks * sw, q1Row = (long)o1 * blocks * qv, s1Row = (long)o1 * blocks * sw;
        long xvRow = (long)r * (n / 16), xgRow = (long)r * (n / 32);
        float acc0 = 0f, acc1 = 0f;
        for (int p = lane; p < pieces; p += 64)
        {
            bool second = p + 32 < pieces;          // the tail: piece p again, its second product not counted
            int pb = second ? p + 32 : p;
            int ba = p / per, ca = p - ba * per, bb = pb / per, cb = pb - bb * per;
            var xa = decoder.LoadX(xq, dx, sx, s16, xvRow + (long)ba * (valuesPerBlock / 16), xgRow + (long)ba * (valuesPerBlock / 32), ca);
            var xb = decoder.LoadX(xq, dx, sx, s16, xvRow + (long)bb * (valuesPerBlock / 16), xgRow + (long)bb * (valuesPerBlock / 32), cb);
            float a0 = decoder.Dot(q0, q0Row + (long)ba * qv, s0, s0Row + (long)ba * sw, ca, xa);
            float b0 = decoder.Dot(q0, q0Row + (long)bb * qv, s0, s0Row + (long)bb * sw, cb, xb);
            acc0 += second ? a0 + b0 : a0;
            if (two)
            {
                float a1 = decoder.Dot(q1, q1Row + (long)ba * qv, s1, s1Row + (long)ba * sw, ca, xa);
                float b1 = decoder.Dot(q1, q1Row + (long)bb * qv, s1, s1Row + (long)bb * sw, cb, xb);
                acc1 += second ? a1 + b1 : a1;
            }
        }
        acc0 = Reductions.WarpSum(acc0);
        if (two)
            acc1 = Reductions.WarpSum(acc1);
        if (lane == 0 && first <= last)
            y0[(long)r * m0 + o0] = acc0;
        if (lane == 0 && two && first + 1 <= last)
            y1[(long)r * m1 + o1] = acc1;
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

/// <summary>
/// RMS norm of a decode row fused with the int8 quantization of its output (<see cref="MatVecQ8"/>'s first phase): the
/// norm's group already holds every value, so each 32-value block (8 threads of a warp, one Float4 each) takes its max
/// and sums with three shuffles. y gets the float row as <see cref="RmsNorm.Kernel"/> writes it; xq, dx, sx, s16 what
/// <see cref="MatVecQ8.QuantizeKernel"/> would make of y.
/// </summary>
internal static class RmsNormQ8
{
    // x, y: [rows, dim] (dim a multiple of 32)   weight: [dim]; quantized parts as MatVecQ8.Parts(scratch, rows, dim).
    // Launch: grid rows, group any multiple of 32 (1024 for a row of 4096: one Float4 a thread).
    public static void Kernel(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, ArrayView<int> xq, ArrayView<float> dx,
        ArrayView<float> sx, ArrayView<int> s16, int dim, float eps)
    {
        var x4 = x.Cast<Float4>();
        var w4 = weight.Cast<Float4>();
        var y4 = y.Cast<Float4>();
        int dim4 = dim / 4, tid = Group.IdxX, threads = Group.DimX;
        long row = (long)Grid.IdxX * dim4;
        float scale = RmsNorm.RowScale(x4, row, dim, eps);
        for (int start = 0; start < dim4; start += threads)   // every thread runs every pass: the shuffles need whole warps
        {
            int i = start + tid;
            bool active = i < dim4;                            // a block of 8 threads is all in or all out (dim4 % 8 == 0)
            var n = active ? RmsNorm.Normed(x4[row + i], scale, w4[i]) : Float4.Zero;
            float amax = MatVecQ8.AbsMax(n), sum = BlockMath.Sum(n);
            for (int offset = 1; offset < 8; offset *= 2)
            {
                amax = MathF.Max(amax, Warp.ShuffleXor(amax, offset));
                sum += Warp.ShuffleXor(sum, offset);
            }
            float d = amax / 127f;
            int sum16 = 0, packed = MatVecQ8.Pack(n, d, ref sum16);
            sum16 += Warp.ShuffleXor(sum16, 1);
            sum16 += Warp.ShuffleXor(sum16, 2);
            if (active)
            {
                long word = row + i, block = word / 8;
                y4[word] = n;
                xq[word] = packed;
                if ((i & 7) == 0)
                {
                    dx[block] = d;
                    sx[block] = sum;
                }
                if ((i & 3) == 0)
                    s16[word / 4] = sum16;
            }
        }
    }
}
