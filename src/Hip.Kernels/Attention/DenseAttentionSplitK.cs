using ILGPU;
using ILGPU.Algorithms;

namespace Hip.Kernels;

/// <summary>
/// Causal dense attention in the flash-decoding form, for the GPU: the keys of each (query, head) are cut into
/// splits processed by separate warps, each writing a partial softmax (max, sum, weighted values) that
/// <see cref="MergeKernel"/> combines. Inside a split a lane scores one key at a time (32 keys per step, one warp
/// max/sum per step instead of one reduction per key) and owns dimensions lane, lane+32, lane+64, lane+96 of the
/// output. Same function as <see cref="DenseAttention.Reference"/>.
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
        TElement e = default;
        var qShared = SharedMemory.Allocate<float>(Reductions.MaxWarps * MaxHeadDim);
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int w = Grid.IdxX * warpsPerGroup + Warp.WarpIdx;
        int splits = Grid.DimY, split = Grid.IdxY;
        if (w >= tokens * heads)
            return;                                                   // warp-uniform; no group barriers below
        int t = w / heads, h = w % heads;
        int g = h / (heads / kvHeads);
        int lane = Warp.LaneIdx, ws = Warp.WarpSize;
        int qBase = Warp.WarpIdx * MaxHeadDim;
        long qRow = (long)w * headDim;
        for (int d = lane; d < headDim; d += ws)
            qShared[qBase + d] = q[qRow + d] * scale;
        Warp.Barrier();

        int start = KvPosition.Resolve(position, startPos);
        int splitLength = (start + tokens + splits - 1) / splits;
        int first = split * splitLength;
        int end = XMath.Min(first + splitLength, start + t + 1);       // exclusive
        int d0 = lane, d1 = lane + ws, d2 = lane + 2 * ws, d3 = lane + 3 * ws;
        float m = float.NegativeInfinity, l = 0f, a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        for (int j0 = first; j0 < end; j0 += ws)
        {
            int j = j0 + lane;
            float s = float.NegativeInfinity;
            if (j < end)
            {
                long r = KvLayout.Row(j, g, kvHeads) * headDim;
                float dot = 0f;
                for (int d = 0; d < headDim; d++)
                    dot += qShared[qBase + d] * e.Read(kCache[r + d]);
                s = dot;
            }
            float mNew = MathF.Max(m, Reductions.WarpMax(s));
            float p = j < end ? MathF.Exp(s - mNew) : 0f;
            float correction = MathF.Exp(m - mNew);
            l = l * correction + Reductions.WarpSum(p);
            a0 *= correction; a1 *= correction; a2 *= correction; a3 *= correction;
            int count = XMath.Min(ws, end - j0);
            for (int jj = 0; jj < count; jj++)
            {
                float pj = Warp.Shuffle(p, jj);
                long r = KvLayout.Row(j0 + jj, g, kvHeads) * headDim;
                if (d0 < headDim) a0 += pj * e.Read(vCache[r + d0]);
                if (d1 < headDim) a1 += pj * e.Read(vCache[r + d1]);
                if (d2 < headDim) a2 += pj * e.Read(vCache[r + d2]);
                if (d3 < headDim) a3 += pj * e.Read(vCache[r + d3]);
            }
            m = mNew;
        }
        long slot = (long)w * splits + split;
        if (lane == 0)
        {
            partialMax[slot] = m;        // -inf for an empty split
            partialSum[slot] = l;
        }
        long accRow = slot * headDim;
        if (d0 < headDim) partialAcc[accRow + d0] = a0;
        if (d1 < headDim) partialAcc[accRow + d1] = a1;
        if (d2 < headDim) partialAcc[accRow + d2] = a2;
        if (d3 < headDim) partialAcc[accRow + d3] = a3;
    }

    // o: [tokens, heads * headDim]; one thread per output element (index over tokens * heads * headDim).
    public static void MergeKernel(Index1D index, ArrayView<float> partialMax, ArrayView<float> partialSum, ArrayView<float> partialAcc,
        ArrayView<float> o, int headDim, int splits)
    {
        int d = index % headDim;
        long row = index / headDim;
        float max = float.NegativeInfinity;
        for (int s = 0; s < splits; s++)
            max = MathF.Max(max, partialMax[row * splits + s]);
        float sum = 0f, acc = 0f;
        for (int s = 0; s < splits; s++)
        {
            long slot = row * splits + s;
            float m = partialMax[slot];
            if (m == float.NegativeInfinity)
                continue;
            float weight = MathF.Exp(m - max);
            sum += partialSum[slot] * weight;
            acc += partialAcc[slot * headDim + d] * weight;
        }
        o[index] = acc / sum;
    }
}
