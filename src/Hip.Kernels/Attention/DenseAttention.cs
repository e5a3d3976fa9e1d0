using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Causal dense attention with grouped-query heads and an online softmax, for prefill (many queries) and decode
/// (one query), over one layer of the KV cache in the <see cref="KvLayout"/> block layout and either precision
/// (<typeparamref name="TElement"/> reads an element as float32; all arithmetic is float32). On the GPU, prefill batches
/// large enough to fill it use <see cref="Kernel"/> (a warp per query and head) and smaller ones (decode)
/// <see cref="DenseAttentionSplitK"/>; the CPU accelerator uses <see cref="PerThreadKernel"/>.
/// </summary>
public static class DenseAttention
{
    // Legend: t query token, h query head, g KV head, j key position, d head dimension.

    /// <summary>The largest head dimension a warp covers (4 dimensions a lane).</summary>
    public const int MaxHeadDim = 128;

    // q, o: [tokens, heads * headDim]   kCache, vCache: [blocks, kvHeads, 64, headDim] (one layer)   position: [1]
    // Query t sits at start + t (start: startPos, or position[0] when startPos is KvPosition.OnDevice) and sees keys
    // 0 ..= start + t. Query head h reads KV head h / (heads / kvHeads).
    // Launch: grid ceil(tokens * heads / warpsPerGroup), group warpsPerGroup * warpSize. The GPU form for prefill:
    // one warp per (query, head), lanes own dimensions lane, lane+32, lane+64, lane+96, one warp sum per key.
    public static void Kernel<T, TElement>(ArrayView<float> q, ArrayView<T> kCache, ArrayView<T> vCache, ArrayView<float> o,
        ArrayView<int> position, int tokens, int heads, int kvHeads, int headDim, int startPos, float scale)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        TElement e = default;
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int w = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        if (w >= tokens * heads)
            return;                                   // warp-uniform
        int t = w / heads, h = w % heads;
        int g = h / (heads / kvHeads);
        int lane = Warp.LaneIdx, ws = Warp.WarpSize;
        int d0 = lane, d1 = lane + ws, d2 = lane + 2 * ws, d3 = lane + 3 * ws;
        long qRow = ((long)t * heads + h) * headDim;
        float q0 = d0 < headDim ? q[qRow + d0] * scale : 0f;
        float q1 = d1 < headDim ? q[qRow + d1] * scale : 0f;
        float q2 = d2 < headDim ? q[qRow + d2] * scale : 0f;
        float q3 = d3 < headDim ? q[qRow + d3] * scale : 0f;

        float m = float.NegativeInfinity, l = 0f;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int last = KvPosition.Resolve(position, startPos) + t;
        for (int j = 0; j <= last; j++)
        {
            long r = KvLayout.Row(j, g, kvHeads) * headDim;
            float s = 0f;
            if (d0 < headDim) s += q0 * e.Read(kCache[r + d0]);
            if (d1 < headDim) s += q1 * e.Read(kCache[r + d1]);
            if (d2 < headDim) s += q2 * e.Read(kCache[r + d2]);
            if (d3 < headDim) s += q3 * e.Read(kCache[r + d3]);
            s = Reductions.WarpSum(s);
            float mNew = MathF.Max(m, s);
            float correction = MathF.Exp(m - mNew);
            float p = MathF.Exp(s - mNew);
            l = l * correction + p;
            a0 = a0 * correction + (d0 < headDim ? p * e.Read(vCache[r + d0]) : 0f);
            a1 = a1 * correction + (d1 < headDim ? p * e.Read(vCache[r + d1]) : 0f);
            a2 = a2 * correction + (d2 < headDim ? p * e.Read(vCache[r + d2]) : 0f);
            a3 = a3 * correction + (d3 < headDim ? p * e.Read(vCache[r + d3]) : 0f);
            m = mNew;
        }
        float inv = 1f / l;
        if (d0 < headDim) o[qRow + d0] = a0 * inv;
        if (d1 < headDim) o[qRow + d1] = a1 * inv;
        if (d2 < headDim) o[qRow + d2] = a2 * inv;
        if (d3 < headDim) o[qRow + d3] = a3 * inv;
    }

    // One thread per output element (index over tokens * heads * headDim), each running its own online softmax and
    // recomputing the scores: no shuffles or barriers, the CPU accelerator's variant. Same arguments as Kernel.
    public static void PerThreadKernel<T, TElement>(Index1D index, ArrayView<float> q, ArrayView<T> kCache, ArrayView<T> vCache,
        ArrayView<float> o, ArrayView<int> position, int heads, int kvHeads, int headDim, int startPos, float scale)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        TElement e = default;
        int d = index % headDim;
        int w = index / headDim;
        int t = w / heads, h = w % heads;
        int g = h / (heads / kvHeads);
        long qRow = (long)w * headDim;
        int last = KvPosition.Resolve(position, startPos) + t;
        float m = float.NegativeInfinity, l = 0f, acc = 0f;
        for (int j = 0; j <= last; j++)
        {
            long r = KvLayout.Row(j, g, kvHeads) * headDim;
            float s = 0f;
            for (int i = 0; i < headDim; i++)
                s += q[qRow + i] * e.Read(kCache[r + i]);
            s *= scale;
            float mNew = MathF.Max(m, s);
            float correction = MathF.Exp(m - mNew);
            float p = MathF.Exp(s - mNew);
            l = l * correction + p;
            acc = acc * correction + p * e.Read(vCache[r + d]);
            m = mNew;
        }
        o[index] = acc / l;
    }

    /// <summary>
    /// Plain softmax(q·kᵀ·scale)·v over keys 0 ..= startPos + t, in double, over float caches in the block layout
    /// [blocks, kvHeads, 64, headDim] (an F16 cache is compared after widening its elements to float).
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, Span<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale)
    {
        var scores = new double[startPos + tokens];
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int g = h / (heads / kvHeads);
                var qh = q.Slice((t * heads + h) * headDim, headDim);
                int count = startPos + t + 1;
                double max = double.NegativeInfinity;
                for (int j = 0; j < count; j++)
                {
                    var kj = kCache.Slice((int)(KvLayout.Row(j, g, kvHeads) * headDim), headDim);
                    double s = 0;
                    for (int d = 0; d < headDim; d++)
                        s += (double)qh[d] * kj[d];
                    scores[j] = s * scale;
                    max = Math.Max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < count; j++)
                    sum += scores[j] = Math.Exp(scores[j] - max);
                for (int d = 0; d < headDim; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < count; j++)
                        acc += scores[j] * vCache[(int)(KvLayout.Row(j, g, kvHeads) * headDim) + d];
                    o[(t * heads + h) * headDim + d] = (float)(acc / sum);
                }
            }
    }
}
