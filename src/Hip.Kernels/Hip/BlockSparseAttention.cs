using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Block-sparse attention with sink and sliding window (docs/hip.md, the three key sets): each query attends three disjoint key sets with an
/// online softmax. For a query with v visible keys (keys 0 .. v−1, v = position + 1):
///   sink     keys t &lt; min(sink, v − window);
///   selected keys of its block's mask blocks [idx, idx + bk) with sink ≤ t &lt; v − window;
///   window   keys max(0, v − window) ≤ t &lt; v.
/// The key list sink ++ selected ++ window may be cut into splits (split-KV, flash decoding): each split writes a
/// partial (acc, max, sum) and <see cref="MergeKernel"/> combines them. One group per (KV head, query block, split): all
/// query heads of the KV group (GQA) and all queries of the block. A warp takes 4 consecutive queries of one head and
/// loads each key and value row once for the 4; neighbouring warps take the next queries of the same head, so the
/// block's shared sink, window and (per head) selected rows are read back to back, through L1/L2.
/// </summary>
public static class BlockSparseAttention
{
    // Legend: h query head, g KV head, m query block, t token, v visible keys, e position in the row's key list,
    // s split; lanes own head dimensions 4·lane .. 4·lane + 3.

    /// <summary>The largest head dimension (4 dimensions a lane of a 32-lane warp).</summary>
    public const int MaxHeadDim = 128;

    /// <summary>Floats per partial: acc[headDim], then the running max and sum.</summary>
    public static int PartialStride(int headDim) => headDim + 2;

    /// <summary>Shapes, options and the split of the key list for one launch.</summary>
    public struct Args
    {
        public int Tokens, Heads, KvHeads, HeadDim, StartPos, QueryBlocks;
        public int BlockSizeQ, BlockSizeK, Sink, Window, Chunks, Splits, SplitLength;
        public float Scale;

        /// <summary>startPos may be <see cref="KvPosition.OnDevice"/> (the kernel reads the position).</summary>
        public static Args Create(int tokens, int heads, int kvHeads, int headDim, int startPos, float scale,
            HipAttentionOptions options, int splits) => new()
        {
            Tokens = tokens, Heads = heads, KvHeads = kvHeads, HeadDim = headDim, StartPos = startPos,
            QueryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ,
            BlockSizeQ = options.BlockSizeQ, BlockSizeK = options.BlockSizeK,
            Sink = options.SinkTokens, Window = options.WindowTokens, Chunks = options.Chunks,
            Splits = splits, SplitLength = SplitLengthFor(options, splits), Scale = scale,
        };

        /// <summary>Keys per split, a multiple of 32 (one step), covering the longest list of a warp: sink + K + window + 3.</summary>
        public static int SplitLengthFor(HipAttentionOptions options, int splits)
        {
            int longest = options.SinkTokens + options.K + options.WindowTokens + RowsPerWarp - 1;
            return ((longest + splits - 1) / splits + Lanes - 1) / Lanes * Lanes;
        }
    }

    /// <summary>Queries of one head a warp attends together (K/V rows loaded once for all of them).</summary>
    public const int RowsPerWarp = 4;

    /// <summary>Most warps a group may have (shared memory holds each warp's query rows and probabilities).</summary>
    public const int MaxWarpsPerGroup = 4;

    private const int Lanes = 32;                     // keys per step: one per lane (warp size 32 on CUDA and in tests)
    private const int QueryRow = MaxHeadDim / 4;      // Float4 per shared query row

    /// <summary>
    /// Grid kvHeads · queryBlocks · splits, group warps · 32 (warps ≤ 4). q, o: [tokens, heads·headDim]
    /// kCache, vCache: [blocks, kvHeads, 64, headDim] (KvLayout, element type TElement)   indices: [heads, queryBlocks, chunks]
    /// counts: [heads, queryBlocks]   partials: [tokens·heads, splits, headDim + 2] (only when splits &gt; 1; o is written
    /// when splits = 1)   position: [1] (read when a.StartPos is KvPosition.OnDevice).
    /// </summary>
    public static void Kernel<T, TElement>(ArrayView<float> q, ArrayView<T> kCache, ArrayView<T> vCache, ArrayView<float> o,
        ArrayView<int> indices, ArrayView<int> counts, ArrayView<float> partials, ArrayView<int> position, Args a)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        var queries = SharedMemory.Allocate<Float4>(MaxWarpsPerGroup * RowsPerWarp * QueryRow);   // scaled q rows per warp
        var probabilities = SharedMemory.Allocate<float>(MaxWarpsPerGroup * RowsPerWarp * Lanes);  // p of this step's keys
        var stepKeys = SharedMemory.Allocate<int>(MaxWarpsPerGroup * Lanes);                      // this step's keys (−1: none)

        a.StartPos = KvPosition.Resolve(position, a.StartPos);
        int warps = Group.DimX / Warp.WarpSize;
        int s = Grid.IdxX % a.Splits, rest = Grid.IdxX / a.Splits;
        int m = rest % a.QueryBlocks, g = rest / a.QueryBlocks;
        int group = a.Heads / a.KvHeads;
        int blockStart = m * a.BlockSizeQ, blockLength = IntrinsicMath.Min(a.BlockSizeQ, a.Tokens - blockStart);
        int rowGroups = (blockLength + RowsPerWarp - 1) / RowsPerWarp;
        int w = Warp.WarpIdx;
        for (int r = w; r < group * rowGroups; r += warps)   // warp-uniform; neighbouring warps: same head, next queries
        {
            int h = g * group + r / rowGroups, t0 = blockStart + (r % rowGroups) * RowsPerWarp;
            int rows = IntrinsicMath.Min(RowsPerWarp, blockStart + blockLength - t0);
            AttendRows<T, TElement>(q, kCache, vCache, o, indices, counts, partials, a, h, t0, rows, m, s,
                queries.SubView(w * RowsPerWarp * QueryRow, RowsPerWarp * QueryRow),
                probabilities.SubView(w * RowsPerWarp * Lanes, RowsPerWarp * Lanes),
                stepKeys.SubView(w * Lanes, Lanes));
        }
    }

    // Queries t0 .. t0 + rows − 1 of head h. Each step takes 32 keys of the list, one per lane: the lane scores its key
    // against the (up to 4) queries, the warp takes each query's max and probabilities, then every lane adds the 32
    // value rows for its 4 head dimensions.
    private static void AttendRows<T, TElement>(ArrayView<float> q, ArrayView<T> kCache, ArrayView<T> vCache, ArrayView<float> o,
        ArrayView<int> indices, ArrayView<int> counts, ArrayView<float> partials, Args a, int h, int t0, int rows, int m, int s,
        ArrayView<Float4> queries, ArrayView<float> probabilities, ArrayView<int> stepKeys)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        int lane = Warp.LaneIdx, hd4 = a.HeadDim / 4;
        var q4 = q.Cast<Float4>();
        int g = h / (a.Heads / a.KvHeads);
        for (int i = 0; i < RowsPerWarp; i++)
            if (lane < hd4)
                queries[i * QueryRow + lane] = i < rows ? Float4.Scale(q4[((long)(t0 + i) * a.Heads + h) * hd4 + lane], a.Scale) : Float4.Zero;
        Warp.Barrier();

        // what each query sees (a padding slot sees nothing), and the warp's key list: sink ++ selected ++ window, where
        // the window runs from the first query's window start to the last query's own key
        int visible0 = a.StartPos + t0 + 1;
        int v0 = visible0, v1 = rows > 1 ? visible0 + 1 : 0, v2 = rows > 2 ? visible0 + 2 : 0, v3 = rows > 3 ? visible0 + 3 : 0;
        int w0 = WindowStart(v0, a.Window), w1 = WindowStart(v1, a.Window), w2 = WindowStart(v2, a.Window), w3 = WindowStart(v3, a.Window);
        int lastVisible = visible0 + rows - 1;
        int sinkCount = IntrinsicMath.Min(a.Sink, WindowStart(lastVisible, a.Window));
        int maskRow = h * a.QueryBlocks + m;
        long indexBase = (long)maskRow * a.Chunks;
        int selectedCount = counts[maskRow] * a.BlockSizeK;
        int total = sinkCount + selectedCount + (lastVisible - w0);
        int begin = s * a.SplitLength, end = IntrinsicMath.Min(total, begin + a.SplitLength);

        var st0 = RowState.Empty;
        var st1 = RowState.Empty;
        var st2 = RowState.Empty;
        var st3 = RowState.Empty;
        for (int e0 = begin; e0 < end; e0 += Lanes)
        {
            // this lane's key and its scores
            int e = e0 + lane, key = -1;
            bool window = false;
            if (e < end)
            {
                if (e < sinkCount)
                    key = e;
                else if (e < sinkCount + selectedCount)
                {
                    int x = e - sinkCount;
                    key = indices[indexBase + x / a.BlockSizeK] + x % a.BlockSizeK;
                    key = key >= a.Sink ? key : -1;
                }
                else
                {
                    key = w0 + (e - sinkCount - selectedCount);
                    window = true;
                }
            }
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            if (key >= 0)
            {
                long keyRow = KvLayout.Row(key, g, a.KvHeads) * a.HeadDim;
                int d4 = 0;
                for (; d4 + 4 <= hd4; d4 += 4)   // four vector loads in flight before they are used (latency bound)
                {
                    var k0 = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4);
                    var k1 = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4 + 4);
                    var k2 = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4 + 8);
                    var k3 = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4 + 12);
                    s0 = Dot4(queries, d4, k0, k1, k2, k3, s0);
                    s1 = Dot4(queries, QueryRow + d4, k0, k1, k2, k3, s1);
                    s2 = Dot4(queries, 2 * QueryRow + d4, k0, k1, k2, k3, s2);
                    s3 = Dot4(queries, 3 * QueryRow + d4, k0, k1, k2, k3, s3);
                }
                for (; d4 < hd4; d4++)
                {
                    var kv = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4);
                    s0 = Float4.Dot(queries[d4], kv, s0);
                    s1 = Float4.Dot(queries[QueryRow + d4], kv, s1);
                    s2 = Float4.Dot(queries[2 * QueryRow + d4], kv, s2);
                    s3 = Float4.Dot(queries[3 * QueryRow + d4], kv, s3);
                }
            }
            // the masks of docs/hip.md (the three key sets): sink and selected keys lie before the query's window, window keys inside it
            s0 = Sees(key, window, w0, v0) ? s0 : float.NegativeInfinity;
            s1 = Sees(key, window, w1, v1) ? s1 : float.NegativeInfinity;
            s2 = Sees(key, window, w2, v2) ? s2 : float.NegativeInfinity;
            s3 = Sees(key, window, w3, v3) ? s3 : float.NegativeInfinity;

            // online softmax: the step's max per query, then this lane's probability
            float c0 = s0, c1 = s1, c2 = s2, c3 = s3;
            for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            {
                c0 = MathF.Max(c0, Warp.ShuffleXor(c0, offset));
                c1 = MathF.Max(c1, Warp.ShuffleXor(c1, offset));
                c2 = MathF.Max(c2, Warp.ShuffleXor(c2, offset));
                c3 = MathF.Max(c3, Warp.ShuffleXor(c3, offset));
            }
            probabilities[lane] = st0.Step(c0, s0);
            probabilities[Lanes + lane] = st1.Step(c1, s1);
            probabilities[2 * Lanes + lane] = st2.Step(c2, s2);
            probabilities[3 * Lanes + lane] = st3.Step(c3, s3);
            stepKeys[lane] = key;
            Warp.Barrier();

            // acc += p · v over the step's keys, 4 head dimensions a lane
            // (eight value rows loaded before use; a key of −1 has probability 0 for every query and reads row 0, which a
            // decode or prefill step has always written, instead of branching)
            if (lane < hd4)
                for (int j = 0; j < Lanes; j += 8)
                {
                    long c = 4 * lane;
                    var x0 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j], g, a) + c);
                    var x1 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 1], g, a) + c);
                    var x2 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 2], g, a) + c);
                    var x3 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 3], g, a) + c);
                    var x4 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 4], g, a) + c);
                    var x5 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 5], g, a) + c);
                    var x6 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 6], g, a) + c);
                    var x7 = Float4.Load<T, TElement>(vCache, ValueRow(stepKeys[j + 7], g, a) + c);
                    st0.Acc = Accumulate(st0.Acc, probabilities, j, x0, x1, x2, x3, x4, x5, x6, x7);
                    st1.Acc = Accumulate(st1.Acc, probabilities, Lanes + j, x0, x1, x2, x3, x4, x5, x6, x7);
                    st2.Acc = Accumulate(st2.Acc, probabilities, 2 * Lanes + j, x0, x1, x2, x3, x4, x5, x6, x7);
                    st3.Acc = Accumulate(st3.Acc, probabilities, 3 * Lanes + j, x0, x1, x2, x3, x4, x5, x6, x7);
                }
            Warp.Barrier();
        }

        Finish(ref st0, o, partials, a, t0, h, s, 0 < rows, lane, hd4);
        Finish(ref st1, o, partials, a, t0 + 1, h, s, 1 < rows, lane, hd4);
        Finish(ref st2, o, partials, a, t0 + 2, h, s, 2 < rows, lane, hd4);
        Finish(ref st3, o, partials, a, t0 + 3, h, s, 3 < rows, lane, hd4);
    }

    private static int WindowStart(int visible, int window) => IntrinsicMath.Max(0, visible - window);

    // the first element of key's value row (row 0 for no key: its probability is 0)
    private static long ValueRow(int key, int g, Args a) => KvLayout.Row(IntrinsicMath.Max(key, 0), g, a.KvHeads) * a.HeadDim;

    private static float Dot4(ArrayView<Float4> queries, int at, Float4 k0, Float4 k1, Float4 k2, Float4 k3, float s) =>
        Float4.Dot(queries[at + 3], k3, Float4.Dot(queries[at + 2], k2, Float4.Dot(queries[at + 1], k1, Float4.Dot(queries[at], k0, s))));

    private static Float4 Accumulate(Float4 acc, ArrayView<float> p, int at,
        Float4 x0, Float4 x1, Float4 x2, Float4 x3, Float4 x4, Float4 x5, Float4 x6, Float4 x7)
    {
        acc = Float4.ScaleAdd(acc, 1f, x0, p[at]);
        acc = Float4.ScaleAdd(acc, 1f, x1, p[at + 1]);
        acc = Float4.ScaleAdd(acc, 1f, x2, p[at + 2]);
        acc = Float4.ScaleAdd(acc, 1f, x3, p[at + 3]);
        acc = Float4.ScaleAdd(acc, 1f, x4, p[at + 4]);
        acc = Float4.ScaleAdd(acc, 1f, x5, p[at + 5]);
        acc = Float4.ScaleAdd(acc, 1f, x6, p[at + 6]);
        return Float4.ScaleAdd(acc, 1f, x7, p[at + 7]);
    }

    // whether a query with v visible keys and window start ws attends key (from the sink/selected part or the window part)
    private static bool Sees(int key, bool window, int ws, int v) => key >= 0 && (window ? key >= ws && key < v : key < ws);

    // writes o (one split) or the partial of one query row; the warp sums the lanes' partial softmax sums
    private static void Finish(ref RowState st, ArrayView<float> o, ArrayView<float> partials, Args a, int t, int h, int s,
        bool real, int lane, int hd4)
    {
        float l = st.L;
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            l += Warp.ShuffleXor(l, offset);
        if (!real)
            return;
        if (a.Splits == 1)
        {
            if (lane < hd4)
                o.Cast<Float4>()[((long)t * a.Heads + h) * hd4 + lane] = Float4.Scale(st.Acc, l > 0f ? 1f / l : 0f);
            return;
        }
        long partial = (((long)t * a.Heads + h) * a.Splits + s) * PartialStride(a.HeadDim);
        if (lane < hd4)
        {
            int d = 4 * lane;
            partials[partial + d] = st.Acc.X;
            partials[partial + d + 1] = st.Acc.Y;
            partials[partial + d + 2] = st.Acc.Z;
            partials[partial + d + 3] = st.Acc.W;
        }
        if (lane == 0)
        {
            partials[partial + a.HeadDim] = st.M;
            partials[partial + a.HeadDim + 1] = l;
        }
    }

    // one query's online-softmax state: running max (warp-uniform), this lane's part of the sum, its 4 accumulators
    private struct RowState
    {
        public float M, L;
        public Float4 Acc;

        public static RowState Empty => new() { M = float.NegativeInfinity };

        // takes a step whose max is stepMax and whose lane score is score; rescales; returns the lane's probability
        public float Step(float stepMax, float score)
        {
            float mNew = MathF.Max(M, stepMax);
            if (mNew == float.NegativeInfinity)
                return 0f;                                   // nothing seen yet
            float correction = MathF.Exp(M - mNew);
            float p = score == float.NegativeInfinity ? 0f : MathF.Exp(score - mNew);
            L = L * correction + p;
            Acc = Float4.Scale(Acc, correction);
            M = mNew;
            return p;
        }
    }

    /// <summary>
    /// Combines the splits of each row: one warp per (token, head); grid ceil(tokens·heads / warps), group warps · warpSize.
    /// partials: [tokens·heads, splits, headDim + 2]   o: [tokens, heads·headDim].
    /// </summary>
    public static void MergeKernel(ArrayView<float> partials, ArrayView<float> o, int rows, int headDim, int splits)
    {
        int row = Grid.IdxX * (Group.DimX / Warp.WarpSize) + Warp.WarpIdx;
        if (row >= rows)
            return;                                             // warp-uniform
        long stride = PartialStride(headDim), rowBase = (long)row * splits * stride;
        var at = new SplitMerge.Layout
        {
            MaxBase = rowBase + headDim, SumBase = rowBase + headDim + 1, ScalarStride = stride,
            AccBase = rowBase, AccStride = stride,
        };
        SplitMerge.MergeRow(partials, partials, partials, at, splits, headDim, o, (long)row * headDim);
    }

    /// <summary>
    /// The same attention as plain loops in double over the explicit key sets: o [tokens, heads·headDim] from the mask
    /// indices [heads, queryBlocks, chunks] and counts [heads, queryBlocks]; float caches [blocks, kvHeads, 64, headDim].
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, Span<float> o,
        ReadOnlySpan<int> indices, ReadOnlySpan<int> counts, int tokens, int heads, int kvHeads, int headDim,
        int startPos, float scale, HipAttentionOptions options)
    {
        int queryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int row = h * queryBlocks + t / options.BlockSizeQ;
                var keys = KeySet(indices.Slice(row * options.Chunks, counts[row]), startPos + t + 1, options);
                ReferenceRow(q.Slice((t * heads + h) * headDim, headDim), kCache, vCache, o.Slice((t * heads + h) * headDim, headDim),
                    keys, h / (heads / kvHeads), kvHeads, headDim, scale);
            }
    }

    /// <summary>The keys a query with <paramref name="visible"/> visible keys attends: sink, selected blocks, window (disjoint).</summary>
    public static List<int> KeySet(ReadOnlySpan<int> selectedBlocks, int visible, HipAttentionOptions options)
    {
        int windowStart = Math.Max(0, visible - options.WindowTokens);
        var keys = new List<int>();
        for (int t = 0; t < Math.Min(options.SinkTokens, windowStart); t++)
            keys.Add(t);
        foreach (int block in selectedBlocks)
            for (int t = block; t < block + options.BlockSizeK; t++)
                if (t >= options.SinkTokens && t < windowStart)
                    keys.Add(t);
        for (int t = windowStart; t < visible; t++)
            keys.Add(t);
        return keys;
    }

    /// <summary>softmax(q·kᵀ·scale)·v over the given keys of KV head g, in double (float caches in the block layout).</summary>
    public static void ReferenceRow(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, Span<float> o,
        List<int> keys, int g, int kvHeads, int headDim, float scale)
    {
        var scores = new double[keys.Count];
        double max = double.NegativeInfinity;
        for (int j = 0; j < keys.Count; j++)
        {
            var k = kCache.Slice((int)(KvLayout.Row(keys[j], g, kvHeads) * headDim), headDim);
            double s = 0;
            for (int d = 0; d < headDim; d++)
                s += (double)q[d] * k[d];
            scores[j] = s * scale;
            max = Math.Max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < keys.Count; j++)
            sum += scores[j] = Math.Exp(scores[j] - max);
        for (int d = 0; d < headDim; d++)
        {
            double acc = 0;
            for (int j = 0; j < keys.Count; j++)
                acc += scores[j] * vCache[(int)(KvLayout.Row(keys[j], g, kvHeads) * headDim) + d];
            o[d] = keys.Count > 0 ? (float)(acc / sum) : 0f;
        }
    }
}
