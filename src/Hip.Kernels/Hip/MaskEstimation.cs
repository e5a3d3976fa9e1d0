using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// HiP mask estimation (Gen2, docs/hip.md, mask estimation): per (query head, query block), a tree search over the key blocks of the
/// searchable middle [sink, p − window) keeps the Kc = K / bk best chunks; each iteration halves every chunk, scores
/// each half by its centre key block against the strided sample of the block's queries (max over queries and keys,
/// causal + window masked) and keeps the Kc best halves, until chunks are single key blocks. Output: the kept key
/// blocks as sorted token offsets (multiples of bk) and their count. Deterministic: on equal scores the lower index
/// (the left branch) wins, and every product and sum of a score is rounded to float in dimension order in both kernel
/// and reference (no fused multiply-adds; see Float4.DotExact).
/// </summary>
public static class MaskEstimation
{
    // Legend: h query head, g KV head, m query block, p causal horizon (visible keys of the block's last query),
    // nb key blocks in the middle, kc chunks kept, c candidate (2·chunk + side), bk key block size.

    /// <summary>Most chunks a group holds (shared memory: 2 chunk arrays, 2 candidate arrays).</summary>
    public const int MaxChunks = 1024;

    /// <summary>Sampled queries scored per pass (a shared-memory tile).</summary>
    public const int QueryTile = 32;

    /// <summary>The largest head dimension (the query tile's row).</summary>
    public const int MaxHeadDim = 128;

    private const int TileRow = MaxHeadDim / 4;   // Float4 per tile row
    private const int QueriesAtOnce = 8;          // accumulators per thread in the scoring loop

    /// <summary>Shapes and options for one launch (all in tokens unless named blocks).</summary>
    public struct Args
    {
        public int Tokens, Heads, KvHeads, HeadDim, StartPos, QueryBlocks;
        public int BlockSizeQ, BlockStrideQ, BlockSizeK, BlockStrideK, Sink, Window, Chunks;

        /// <summary>0: always compute the mask. &gt; 0: a decode step that recomputes only every RefreshInterval positions after origins[Layer].</summary>
        public int RefreshInterval, Layer;

        /// <summary>startPos may be <see cref="KvPosition.OnDevice"/> (the kernel reads the position).</summary>
        public static Args Create(int tokens, int heads, int kvHeads, int headDim, int startPos, HipAttentionOptions options) => new()
        {
            Tokens = tokens, Heads = heads, KvHeads = kvHeads, HeadDim = headDim, StartPos = startPos,
            QueryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ,
            BlockSizeQ = options.BlockSizeQ, BlockStrideQ = options.BlockStrideQ,
            BlockSizeK = options.BlockSizeK, BlockStrideK = options.BlockStrideK,
            Sink = options.SinkTokens, Window = options.WindowTokens, Chunks = options.Chunks,
        };
    }

    // ---- geometry shared by the kernel and the reference

    /// <summary>Visible keys of the last query of block m: the block's causal horizon p.</summary>
    public static int Horizon(Args a, int m) => a.StartPos + IntrinsicMath.Min(a.Tokens, (m + 1) * a.BlockSizeQ);

    /// <summary>Key blocks whose start lies in the middle [sink, p − window); the first is sink / bk.</summary>
    public static int MiddleBlocks(Args a, int horizon)
    {
        int end = horizon - a.Window;
        return end > a.Sink ? (end - a.Sink + a.BlockSizeK - 1) / a.BlockSizeK : 0;
    }

    /// <summary>Snap of the initial chunk starts: ceil(2^floor(log2 nb) / kc).</summary>
    public static int InitialStep(int nb, int kc)
    {
        int p2 = 1;
        while (p2 <= nb / 2)
            p2 *= 2;
        return (p2 + kc - 1) / kc;
    }

    /// <summary>Start of initial chunk j (j = kc gives nb): floor(nb·j / kc) snapped down to the step.</summary>
    public static int InitialStart(int j, int nb, int kc, int step) =>
        j >= kc ? nb : IntrinsicMath.Min((int)((long)nb * j / kc) / step * step, nb);

    /// <summary>Index inside the block of sampled query i: every stride-th query, the last one for a short block.</summary>
    public static int SampledQuery(int i, int blockLength, int stride) => IntrinsicMath.Min(i * stride + stride - 1, blockLength - 1);

    // ---- the search shared by the SIMT kernel and the tensor-core one (TensorCore/MaskScoring.cs); shared memory is
    // allocated by the kernels and passed in

    /// <summary>What one group (head, query block) works on.</summary>
    internal struct Block
    {
        public int Head, KvHead, Start, Length, Horizon, First, MiddleBlocks, Row;
        public long OutBase;
    }

    /// <summary>
    /// Resolves the device position and, in a decode step (RefreshInterval &gt; 0), whether this step refreshes the mask
    /// (HIP.md §5.1): first step after a prefill or reset, then every RefreshInterval positions. True: return at once
    /// (grid-uniform). A reset origin (−1) becomes this position; a group reading it before or after that write decides
    /// the same, so the decision is uniform without a barrier.
    /// </summary>
    internal static bool NotDue(ArrayView<int> position, ArrayView<int> origins, ref Args a)
    {
        a.StartPos = KvPosition.Resolve(position, a.StartPos);
        if (a.RefreshInterval <= 0)
            return false;
        int origin = origins[a.Layer];
        if (origin >= 0 && (a.StartPos - origin) % a.RefreshInterval != 0)
            return true;
        if (origin < 0 && Grid.IdxX == 0 && Group.IdxX == 0)
            origins[a.Layer] = a.StartPos;
        return false;
    }

    /// <summary>The group's head, query block and middle (row = head · queryBlocks + block).</summary>
    internal static Block BlockOf(Args a, int row)
    {
        int h = row / a.QueryBlocks, m = row % a.QueryBlocks;
        int start = m * a.BlockSizeQ, length = IntrinsicMath.Min(a.BlockSizeQ, a.Tokens - start);
        int p = a.StartPos + start + length;
        return new Block
        {
            Head = h, KvHead = h / (a.Heads / a.KvHeads), Start = start, Length = length, Horizon = p,
            First = a.Sink / a.BlockSizeK, MiddleBlocks = MiddleBlocks(a, p), Row = row, OutBase = (long)row * a.Chunks,
        };
    }

    /// <summary>Short middle (HIP.md, Tsrc ≤ k): writes every middle block and returns true (group-uniform).</summary>
    internal static bool TakeEveryBlock(Args a, Block b, ArrayView<int> indices, ArrayView<int> counts)
    {
        if (b.MiddleBlocks > a.Chunks)
            return false;
        for (int j = Group.IdxX; j < b.MiddleBlocks; j += Group.DimX)
            indices[b.OutBase + j] = (b.First + j) * a.BlockSizeK;
        if (Group.IdxX == 0)
            counts[b.Row] = b.MiddleBlocks;
        return true;
    }

    /// <summary>The kc initial chunks; returns the largest chunk size on every thread. Ends with a barrier.</summary>
    internal static int InitialChunks(int nb, int kc, ArrayView<int> chunkStart, ArrayView<int> chunkSize, ArrayView<int> scratch)
    {
        int tid = Group.IdxX, threads = Group.DimX;
        if (tid == 0)
            scratch[Reductions.MaxWarps] = 0;
        Group.Barrier();
        int step = InitialStep(nb, kc), localMax = 0;
        for (int j = tid; j < kc; j += threads)
        {
            int start = InitialStart(j, nb, kc, step);
            int size = InitialStart(j + 1, nb, kc, step) - start;
            chunkStart[j] = start;
            chunkSize[j] = size;
            localMax = IntrinsicMath.Max(localMax, size);
        }
        Atomic.Max(ref scratch[Reductions.MaxWarps], localMax);
        Group.Barrier();
        return scratch[Reductions.MaxWarps];
    }

    /// <summary>Start (in key blocks, relative to the middle) of candidate c: half c mod 2 of chunk c / 2.</summary>
    internal static int BranchStart(int c, ArrayView<int> chunkStart, ArrayView<int> chunkSize) =>
        chunkStart[c >> 1] + (c & 1) * (chunkSize[c >> 1] / 2);

    /// <summary>Size in key blocks of candidate c (0: empty).</summary>
    internal static int BranchSize(int c, ArrayView<int> chunkSize)
    {
        int size = chunkSize[c >> 1], half = size / 2;
        return (c & 1) == 0 ? half : size - half;
    }

    /// <summary>
    /// Keeps the kc best of the 2·kc scored candidates (keys: ordered scores) as the new chunks, in position order.
    /// Every thread; keys visible (barrier before); ends with a barrier.
    /// </summary>
    internal static void KeepBest(ArrayView<int> keys, ArrayView<int> slots, ArrayView<int> scratch, ArrayView<int> histogram,
        ArrayView<int> chunkStart, ArrayView<int> chunkSize, int kc)
    {
        int tid = Group.IdxX, threads = Group.DimX, candidates = 2 * kc;
        TopK.SelectInOrder(keys, slots, scratch, histogram, candidates, kc);
        for (int c = tid; c < candidates; c += threads)
        {
            int slot = slots[c];
            if (slot >= 0)
            {
                keys[slot] = BranchStart(c, chunkStart, chunkSize);
                keys[MaxChunks + slot] = BranchSize(c, chunkSize);
            }
        }
        Group.Barrier();
        for (int j = tid; j < kc; j += threads)
        {
            chunkStart[j] = keys[j];
            chunkSize[j] = keys[MaxChunks + j];
        }
        Group.Barrier();
    }

    /// <summary>The non-empty final chunks (single key blocks, in position order) as token offsets, and their count.</summary>
    internal static void WriteKept(Args a, Block b, ArrayView<int> chunkStart, ArrayView<int> chunkSize, ArrayView<int> slots,
        ArrayView<int> scratch, ArrayView<int> indices, ArrayView<int> counts)
    {
        int tid = Group.IdxX, threads = Group.DimX, kc = a.Chunks;
        for (int j = tid; j < kc; j += threads)
            slots[j] = chunkSize[j] > 0 ? 1 : 0;
        Group.Barrier();
        int count = TopK.CompactInOrder(slots, scratch, kc);
        for (int j = tid; j < kc; j += threads)
            if (slots[j] >= 0)
                indices[b.OutBase + slots[j]] = (b.First + chunkStart[j]) * a.BlockSizeK;
        if (tid == 0)
            counts[b.Row] = count;
    }

    // ---- kernel

    /// <summary>
    /// One group per (head, query block): grid heads · queryBlocks, group any multiple of the warp size.
    /// q: [tokens, heads·headDim]   kCache: [blocks, kvHeads, 64, headDim] (KvLayout, element type TElement)
    /// indices: [heads, queryBlocks, chunks]   counts: [heads, queryBlocks]   position: [1] (read when a.StartPos is
    /// KvPosition.OnDevice)   origins: [layers], the position of each layer's last refresh (−1: refresh now), read and
    /// written only when a.RefreshInterval &gt; 0. headDim a multiple of 4, at most 128.
    /// </summary>
    public static void Kernel<T, TElement>(ArrayView<float> q, ArrayView<T> kCache, ArrayView<int> indices, ArrayView<int> counts,
        ArrayView<int> position, ArrayView<int> origins, Args a)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        var qTile = SharedMemory.Allocate<Float4>(QueryTile * TileRow);   // [QueryTile, MaxHeadDim/4]
        var qVisible = SharedMemory.Allocate<int>(QueryTile);             // visible keys of each tile query (0: padding)
        var chunkStart = SharedMemory.Allocate<int>(MaxChunks);           // in key blocks, relative to the middle
        var chunkSize = SharedMemory.Allocate<int>(MaxChunks);
        var keys = SharedMemory.Allocate<int>(2 * MaxChunks);             // candidate scores, later the kept chunks
        var slots = SharedMemory.Allocate<int>(2 * MaxChunks);
        var scratch = SharedMemory.Allocate<int>(Reductions.MaxWarps + 1);
        var histogram = SharedMemory.Allocate<int>(TopK.HistogramLength);

        if (NotDue(position, origins, ref a))
            return;                                                      // grid-uniform
        int tid = Group.IdxX, threads = Group.DimX;
        var b = BlockOf(a, Grid.IdxX);
        if (TakeEveryBlock(a, b, indices, counts))
            return;                                                      // group-uniform
        int kc = a.Chunks, bk = a.BlockSizeK, h = b.Head;
        int maxSize = InitialChunks(b.MiddleBlocks, kc, chunkStart, chunkSize, scratch);

        var q4 = q.Cast<Float4>();
        int hd4 = a.HeadDim / 4;
        int sampled = (b.Length + a.BlockStrideQ - 1) / a.BlockStrideQ;
        int tiles = (sampled + QueryTile - 1) / QueryTile;
        int middleEnd = b.Horizon - a.Window;
        int candidates = 2 * kc;
        while (maxSize > 1)
        {
            // score every branch's centre block against each tile of sampled queries
            for (int tile = 0; tile < tiles; tile++)
            {
                for (int x = tid; x < QueryTile * hd4; x += threads)
                {
                    int i = x / hd4, d4 = x % hd4, qi = tile * QueryTile + i;
                    var value = Float4.Zero;
                    if (qi < sampled)
                    {
                        int t = b.Start + SampledQuery(qi, b.Length, a.BlockStrideQ);
                        value = q4[((long)t * a.Heads + h) * hd4 + d4];
                    }
                    qTile[i * TileRow + d4] = value;
                }
                for (int i = tid; i < QueryTile; i += threads)
                {
                    int qi = tile * QueryTile + i;
                    qVisible[i] = qi < sampled ? a.StartPos + b.Start + SampledQuery(qi, b.Length, a.BlockStrideQ) + 1 : 0;
                }
                Group.Barrier();
                for (int c = tid; c < candidates; c += threads)
                {
                    int size = BranchSize(c, chunkSize);
                    float best = tile == 0 ? float.NegativeInfinity : BitConverter.Int32BitsToSingle(keys[c]);
                    if (size > 0)
                    {
                        int keyBase = (b.First + BranchStart(c, chunkStart, chunkSize) + size / 2) * bk;   // centre block of the branch
                        for (int kk = a.BlockStrideK - 1; kk < bk; kk += a.BlockStrideK)
                        {
                            int key = keyBase + kk;
                            if (key < middleEnd)                                // else masked for every query
                                best = ScoreKey<T, TElement>(qTile, qVisible, kCache, KvLayout.Row(key, b.KvHead, a.KvHeads) * a.HeadDim, hd4, key, a.Window, best);
                        }
                    }
                    keys[c] = tile < tiles - 1 ? BitConverter.SingleToInt32Bits(best)
                        : size > 0 ? TopK.OrderedKey(best) : TopK.EmptyKey;
                }
                Group.Barrier();
            }
            KeepBest(keys, slots, scratch, histogram, chunkStart, chunkSize, kc);
            maxSize = (maxSize + 1) / 2;
        }
        WriteKept(a, b, chunkStart, chunkSize, slots, scratch, indices, counts);
    }

    // max over the tile's queries of q·key (Float4.DotExact: products and sums rounded in dimension order), queries that see the key only
    private static float ScoreKey<T, TElement>(ArrayView<Float4> qTile, ArrayView<int> qVisible, ArrayView<T> kCache, long keyRow, int hd4,
        int key, int window, float best)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        for (int i0 = 0; i0 < QueryTile; i0 += QueriesAtOnce)
        {
            if (qVisible[i0] == 0)
                break;                                                 // padding from here on
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
            int r = i0 * TileRow;
            for (int d4 = 0; d4 < hd4; d4++)
            {
                var kv = Float4.Load<T, TElement>(kCache, keyRow + 4 * d4);
                s0 = Float4.DotExact(qTile[r + d4], kv, s0);
                s1 = Float4.DotExact(qTile[r + TileRow + d4], kv, s1);
                s2 = Float4.DotExact(qTile[r + 2 * TileRow + d4], kv, s2);
                s3 = Float4.DotExact(qTile[r + 3 * TileRow + d4], kv, s3);
                s4 = Float4.DotExact(qTile[r + 4 * TileRow + d4], kv, s4);
                s5 = Float4.DotExact(qTile[r + 5 * TileRow + d4], kv, s5);
                s6 = Float4.DotExact(qTile[r + 6 * TileRow + d4], kv, s6);
                s7 = Float4.DotExact(qTile[r + 7 * TileRow + d4], kv, s7);
            }
            best = Keep(best, s0, key, qVisible[i0], window);
            best = Keep(best, s1, key, qVisible[i0 + 1], window);
            best = Keep(best, s2, key, qVisible[i0 + 2], window);
            best = Keep(best, s3, key, qVisible[i0 + 3], window);
            best = Keep(best, s4, key, qVisible[i0 + 4], window);
            best = Keep(best, s5, key, qVisible[i0 + 5], window);
            best = Keep(best, s6, key, qVisible[i0 + 6], window);
            best = Keep(best, s7, key, qVisible[i0 + 7], window);
        }
        return best;
    }

    // causal + window mask of docs/hip.md, mask estimation: a query with v visible keys scores keys < v − window
    private static float Keep(float best, float score, int key, int visible, int window) =>
        key < visible - window && score > best ? score : best;

    // ---- reference

    /// <summary>
    /// The same search as plain loops over a float cache kCache [blocks, kvHeads, 64, headDim] (an F16 cache widened to
    /// float): indices [heads, queryBlocks, chunks], counts [heads, queryBlocks].
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, Span<int> indices, Span<int> counts,
        int tokens, int heads, int kvHeads, int headDim, int startPos, HipAttentionOptions options)
    {
        var a = Args.Create(tokens, heads, kvHeads, headDim, startPos, options);
        for (int h = 0; h < heads; h++)
            for (int m = 0; m < a.QueryBlocks; m++)
            {
                int row = h * a.QueryBlocks + m;
                counts[row] = ReferenceBlock(q, kCache, indices.Slice(row * a.Chunks, a.Chunks), a, h, m);
            }
    }

    /// <summary>
    /// How much of mask a mask b keeps: of a's kept key blocks (rows of <paramref name="chunks"/> indices, counts per row),
    /// the number b's same row keeps too, and a's total. For comparing masks that may differ where scores tie within
    /// rounding (F16 against fp32 keys, the tensor-core kernel against the SIMT one).
    /// </summary>
    public static (long Shared, long Kept) Overlap(ReadOnlySpan<int> a, ReadOnlySpan<int> aCounts, ReadOnlySpan<int> b, ReadOnlySpan<int> bCounts, int chunks)
    {
        long shared = 0, kept = 0;
        var set = new HashSet<int>();
        for (int row = 0; row < aCounts.Length; row++)
        {
            set.Clear();
            foreach (int index in b.Slice(row * chunks, Math.Clamp(bCounts[row], 0, chunks)))
                set.Add(index);
            foreach (int index in a.Slice(row * chunks, Math.Clamp(aCounts[row], 0, chunks)))
                shared += set.Contains(index) ? 1 : 0;
            kept += Math.Clamp(aCounts[row], 0, chunks);
        }
        return (shared, kept);
    }

    /// <summary>One (head, query block) of <see cref="Reference"/>; returns the count written to indices.</summary>
    public static int ReferenceBlock(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, Span<int> indices, Args a, int h, int m)
    {
        int g = h / (a.Heads / a.KvHeads), d = a.HeadDim, bk = a.BlockSizeK, kc = a.Chunks;
        int blockStart = m * a.BlockSizeQ, blockLength = Math.Min(a.BlockSizeQ, a.Tokens - blockStart);
        int p = a.StartPos + blockStart + blockLength;
        int first = a.Sink / bk, nb = MiddleBlocks(a, p);
        if (nb <= kc)
        {
            for (int j = 0; j < nb; j++)
                indices[j] = (first + j) * bk;
            return nb;
        }

        // the strided query sample and what each query sees
        int sampled = (blockLength + a.BlockStrideQ - 1) / a.BlockStrideQ;
        var sampleRows = new int[sampled];
        var visible = new int[sampled];
        for (int i = 0; i < sampled; i++)
        {
            int t = blockStart + SampledQuery(i, blockLength, a.BlockStrideQ);
            sampleRows[i] = (t * a.Heads + h) * d;
            visible[i] = a.StartPos + t + 1;
        }

        int step = InitialStep(nb, kc);
        var starts = new int[kc];
        var sizes = new int[kc];
        for (int j = 0; j < kc; j++)
        {
            starts[j] = InitialStart(j, nb, kc, step);
            sizes[j] = InitialStart(j + 1, nb, kc, step) - starts[j];
        }
        int maxSize = sizes.Max();
        var branchStarts = new int[2 * kc];
        var branchSizes = new int[2 * kc];
        var scoreKeys = new int[2 * kc];
        while (maxSize > 1)
        {
            for (int c = 0; c < 2 * kc; c++)
            {
                int half = sizes[c / 2] / 2;
                branchStarts[c] = starts[c / 2] + (c & 1) * half;
                branchSizes[c] = (c & 1) == 0 ? half : sizes[c / 2] - half;
                if (branchSizes[c] == 0)
                {
                    scoreKeys[c] = TopK.EmptyKey;
                    continue;
                }
                float best = float.NegativeInfinity;
                int keyBase = (first + branchStarts[c] + branchSizes[c] / 2) * bk;
                for (int kk = a.BlockStrideK - 1; kk < bk; kk += a.BlockStrideK)
                {
                    int key = keyBase + kk;
                    if (key >= p - a.Window)
                        continue;                                       // masked for every query
                    var kRow = kCache.Slice((int)(KvLayout.Row(key, g, a.KvHeads) * d), d);
                    for (int i = 0; i < sampled; i++)
                    {
                        if (key >= visible[i] - a.Window)
                            continue;
                        var qRow = q.Slice(sampleRows[i], d);
                        float s = 0f;
                        for (int x = 0; x < d; x++)
                            s = qRow[x] * kRow[x] + s;              // rounded as Float4.DotExact: no fused multiply-add
                        if (s > best)
                            best = s;
                    }
                }
                scoreKeys[c] = TopK.OrderedKey(best);
            }
            var slots = TopK.Reference(scoreKeys, kc);
            for (int c = 0; c < 2 * kc; c++)
                if (slots[c] >= 0)
                {
                    starts[slots[c]] = branchStarts[c];
                    sizes[slots[c]] = branchSizes[c];
                }
            maxSize = (maxSize + 1) / 2;
        }

        int count = 0;
        for (int j = 0; j < kc; j++)
            if (sizes[j] > 0)
                indices[count++] = (first + starts[j]) * bk;
        return count;
    }
}
