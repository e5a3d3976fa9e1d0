using ILGPU;
using ILGPU.Algorithms;

namespace Hip.Kernels;

/// <summary>
/// Causal dense attention in the flash-decoding form, for the GPU: the keys of each (query, head) are cut into
/// splits processed by separate warps, each writing a partial softmax (max, sum, weighted values) that
/// <see cref="MergeKernel"/> combines. Inside a split a lane scores one key at a time (32 keys per step, one warp
/// max/sum per step instead of one reduction per key) and owns dimensions 4·lane .. 4·lane + 3 of the output; key and
/// value rows are read as 4-element vectors, eight at a time before use, since a decode split is bound by load latency.
/// headDim a multiple of 4. Same function as <see cref="DenseAttention.Reference"/>.
/// </summary>
public static class DenseAttentionSplitK
{
    public const int MaxHeadDim = DenseAttention.MaxHeadDim;

    // q: [tokens, heads * headDim]   kCache, vCache: [blocks, kvHeads, 64, headDim] (one layer)   position: [1]
    // partialMax, partialSum: [tokens * heads, splits]   partialAcc: [tokens * heads, splits, headDim]
    // Launch: grid (ceil(tokens * heads / warpsPerGroup), splits), group warpsPerGroup * 32. The split count is fixed by
    // the launch (per cache capacity in a graph-replayed decode step); the keys per split are computed here from the
    // start position (startPos, or position[0] when startPos is KvPosition.OnDevice): ceil((start + tokens) / splits).
    // Query t sits at start + t and sees keys 0 ..= start + t; a split past that writes an empty partial.
    public static void PartialKernel<T, TElement>(ArrayView<float> q, ArrayView<T> kCache, ArrayView<T> vCache,
        ArrayView<float> partialMax, ArrayView<float> partialSum, ArrayView<float> partialAcc, ArrayView<int> position,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        var qShared = SharedMemory.Allocate<Float4>(Reductions.MaxWarps * MaxHeadDim / 4);
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int w = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        int splits = Grid.DimY, split = Grid.IdxY;
        if (w >= tokens * heads)
            return;                                                   // warp-uniform; no group barriers below
        int t = w / heads, h = w % heads;
        int g = h / (heads / kvHeads);
        int lane = Warp.LaneIdx, ws = Warp.WarpSize, hd4 = headDim / 4;
        int qBase = Warp.WarpIdx * (MaxHeadDim / 4);
        var q4 = q.Cast<Float4>();
        if (lane < hd4)
            qShared[qBase + lane] = Float4.Scale(q4[(long)w * hd4 + lane], scale);
        Warp.Barrier();

        int start = KvPosition.Resolve(position, startPos);
        int splitLength = (start + tokens + splits - 1) / splits;
        int first = split * splitLength;
        int end = XMath.Min(first + splitLength, start + t + 1);       // exclusive
        float m = float.NegativeInfinity, l = 0f;
        var acc = Float4.Zero;                                          // this lane's dimensions 4·lane .. 4·lane + 3
        for (int j0 = first; j0 < end; j0 += ws)
        {
            int j = j0 + lane;
            float s = float.NegativeInfinity;
            if (j < end)
                s = KeyDot<T, TElement>(kCache, KvLayout.Row(j, g, kvHeads) * headDim, qShared, qBase, hd4);
            float mNew = MathF.Max(m, Reductions.WarpMax(s));
            float p = j < end ? MathF.Exp(s - mNew) : 0f;
            float correction = MathF.Exp(m - mNew);
            l = l * correction + Reductions.WarpSum(p);
            acc = Float4.Scale(acc, correction);
            int count = XMath.Min(ws, end - j0);
            // acc += p_j · v_j, 8 value rows loaded before they are used (latency, not bandwidth, bounds a decode split)
            int jj = 0;
            for (; jj + 8 <= count; jj += 8)
            {
                float p0 = Warp.Shuffle(p, jj), p1 = Warp.Shuffle(p, jj + 1), p2 = Warp.Shuffle(p, jj + 2), p3 = Warp.Shuffle(p, jj + 3);
                float p4 = Warp.Shuffle(p, jj + 4), p5 = Warp.Shuffle(p, jj + 5), p6 = Warp.Shuffle(p, jj + 6), p7 = Warp.Shuffle(p, jj + 7);
                if (lane < hd4)
                {
                    long c = 4 * lane;
                    var v0 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj, g, kvHeads) * headDim + c);
                    var v1 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 1, g, kvHeads) * headDim + c);
                    var v2 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 2, g, kvHeads) * headDim + c);
                    var v3 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 3, g, kvHeads) * headDim + c);
                    var v4 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 4, g, kvHeads) * headDim + c);
                    var v5 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 5, g, kvHeads) * headDim + c);
                    var v6 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 6, g, kvHeads) * headDim + c);
                    var v7 = Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj + 7, g, kvHeads) * headDim + c);
                    acc = Float4.ScaleAdd(acc, 1f, v0, p0);
                    acc = Float4.ScaleAdd(acc, 1f, v1, p1);
                    acc = Float4.ScaleAdd(acc, 1f, v2, p2);
                    acc = Float4.ScaleAdd(acc, 1f, v3, p3);
                    acc = Float4.ScaleAdd(acc, 1f, v4, p4);
                    acc = Float4.ScaleAdd(acc, 1f, v5, p5);
                    acc = Float4.ScaleAdd(acc, 1f, v6, p6);
                    acc = Float4.ScaleAdd(acc, 1f, v7, p7);
                }
            }
            for (; jj < count; jj++)
            {
                float pj = Warp.Shuffle(p, jj);
                if (lane < hd4)
                    acc = Float4.ScaleAdd(acc, 1f, Float4.Load<T, TElement>(vCache, KvLayout.Row(j0 + jj, g, kvHeads) * headDim + 4 * lane), pj);
            }
            m = mNew;
        }
        long slot = (long)w * splits + split;
        if (lane == 0)
        {
            partialMax[slot] = m;        // -inf for an empty split
            partialSum[slot] = l;
        }
        if (lane < hd4)
            partialAcc.Cast<Float4>()[slot * hd4 + lane] = acc;
    }

    // q·k of one key row (scaled q in shared memory as Float4), 8 vector loads in flight at a time.
    private static float KeyDot<T, TElement>(ArrayView<T> kCache, long row, ArrayView<Float4> qShared, int qBase, int hd4)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        float s0 = 0f, s1 = 0f;
        int d4 = 0;
        for (; d4 + 8 <= hd4; d4 += 8)
        {
            var k0 = Float4.Load<T, TElement>(kCache, row + 4 * d4);
            var k1 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 4);
            var k2 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 8);
            var k3 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 12);
            var k4 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 16);
            var k5 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 20);
            var k6 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 24);
            var k7 = Float4.Load<T, TElement>(kCache, row + 4 * d4 + 28);
            s0 = Float4.Dot(qShared[qBase + d4], k0, s0);
            s1 = Float4.Dot(qShared[qBase + d4 + 1], k1, s1);
            s0 = Float4.Dot(qShared[qBase + d4 + 2], k2, s0);
            s1 = Float4.Dot(qShared[qBase + d4 + 3], k3, s1);
            s0 = Float4.Dot(qShared[qBase + d4 + 4], k4, s0);
            s1 = Float4.Dot(qShared[qBase + d4 + 5], k5, s1);
            s0 = Float4.Dot(qShared[qBase + d4 + 6], k6, s0);
            s1 = Float4.Dot(qShared[qBase + d4 + 7], k7, s1);
        }
        for (; d4 < hd4; d4++)
            s0 = Float4.Dot(qShared[qBase + d4], Float4.Load<T, TElement>(kCache, row + 4 * d4), s0);
        return s0 + s1;
    }

    // o: [tokens, heads * headDim]; one warp per (token, head) row: grid ceil(rows / warps), group warps · 32.
    public static void MergeKernel(ArrayView<float> partialMax, ArrayView<float> partialSum, ArrayView<float> partialAcc,
        ArrayView<float> o, int rows, int headDim, int splits)
    {
        int row = Grid.IdxX * (Group.DimX / Warp.WarpSize) + Warp.WarpIdx;
        if (row >= rows)
            return;                                             // warp-uniform
        var at = new SplitMerge.Layout
        {
            MaxBase = (long)row * splits, SumBase = (long)row * splits, ScalarStride = 1,
            AccBase = (long)row * splits * headDim, AccStride = headDim,
        };
        SplitMerge.MergeRow(partialMax, partialSum, partialAcc, at, splits, headDim, o, (long)row * headDim);
    }
}
