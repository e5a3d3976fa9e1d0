using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// HiP mask estimation (<see cref="MaskEstimation"/>'s tree search, HIP.md §2.3) with the branch scoring on tensor cores,
/// over the F16 block-layout key cache. Per iteration the group scores all 2·Kc candidates' sampled keys at once as
/// S = Q·Kᵀ tiles of 16 queries × 8 keys (<see cref="Mma.MmaF16"/>, fp16 inputs, float32 accumulation): each warp takes
/// 8 keys at a time, gathers their rows straight from the cache into B fragments and multiplies them with every sampled
/// query's A fragments (built once per group in shared memory), masks causal + window per (query, key), reduces the max
/// over queries in registers and over a candidate's keys with a shared-memory atomic max. Search, selection and output
/// are <see cref="MaskEstimation"/>'s own helpers, so the two kernels differ in the scores only.
/// <para>
/// The head dimension is permuted the same way in A and B (a dot product does not depend on the order of its terms) so
/// that each lane loads a key's 8 consecutive halves with one 16-byte access: for k-steps 2j and 2j+1, lane t (of a
/// quad) holds dimensions 32j + 8t .. 32j + 8t + 7, split as B's {2t, 2t+1}, {2t+8, 2t+9} pairs of step 2j (first four)
/// and of step 2j+1 (last four).
/// </para>
/// <para>
/// Rounding: the queries are rounded to fp16 and the products summed in float32 by the tensor cores, so scores differ
/// from the float reference by rounding; where two branches tie within it the choice may differ (the tests bound the
/// difference: overlap with the reference mask on random data, and exact recovery of planted keys).
/// </para>
/// </summary>
public static class MaskEstimationTc
{
    /// <summary>Most sampled queries a query block may score (BlockSizeQ / BlockStrideQ, rounded up): 4 tiles of 16.</summary>
    public const int MaxSampled = 64;

    private const int MaxKSteps = MaskEstimation.MaxHeadDim / 16;

    /// <summary>Whether this kernel serves the shapes: head dim a multiple of 32 up to 128, at most <see cref="MaxSampled"/> sampled queries.</summary>
    public static bool Supports(int headDim, int blockSizeQ, int blockStrideQ) =>
        headDim % 32 == 0 && headDim <= MaskEstimation.MaxHeadDim && (blockSizeQ + blockStrideQ - 1) / blockStrideQ <= MaxSampled;

    /// <summary>
    /// One group per (head, query block), grid heads · queryBlocks, any number of whole warps; arguments as
    /// <see cref="MaskEstimation.Kernel{T, TElement}"/> with an F16 cache. Warp-uniform mma calls: 32-lane warps.
    /// </summary>
    public static void Kernel(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<int> indices, ArrayView<int> counts,
        ArrayView<int> position, ArrayView<int> origins, MaskEstimation.Args a)
    {
        var qFrag = SharedMemory.Allocate<Bits128>(MaxSampled / 16 * MaxKSteps * 32);   // [query tile, k-step, lane]
        var qVisible = SharedMemory.Allocate<int>(MaxSampled);                          // visible keys of each row (0: padding)
        var chunkStart = SharedMemory.Allocate<int>(MaskEstimation.MaxChunks);
        var chunkSize = SharedMemory.Allocate<int>(MaskEstimation.MaxChunks);
        var keys = SharedMemory.Allocate<int>(2 * MaskEstimation.MaxChunks);
        var slots = SharedMemory.Allocate<int>(2 * MaskEstimation.MaxChunks);
        var scratch = SharedMemory.Allocate<int>(Reductions.MaxWarps + 1);
        var histogram = SharedMemory.Allocate<int>(TopK.HistogramLength);

        if (MaskEstimation.NotDue(position, origins, ref a))
            return;                                                      // grid-uniform
        int tid = Group.IdxX, threads = Group.DimX;
        var b = MaskEstimation.BlockOf(a, Grid.IdxX);
        if (MaskEstimation.TakeEveryBlock(a, b, indices, counts))
            return;                                                      // group-uniform
        int kc = a.Chunks;
        int maxSize = MaskEstimation.InitialChunks(b.MiddleBlocks, kc, chunkStart, chunkSize, scratch);

        // A fragments of the sampled queries (fp16, permuted head dimension) and what each row sees
        int sampled = (b.Length + a.BlockStrideQ - 1) / a.BlockStrideQ;
        int queryTiles = (sampled + 15) / 16, kSteps = a.HeadDim / 16, hd32 = a.HeadDim / 32;
        for (int x = tid; x < queryTiles * kSteps * 32; x += threads)
        {
            int lane = x & 31, step = x / 32 % kSteps, tile = x / 32 / kSteps;
            int r0 = tile * 16 + (lane >> 2), d = 32 * (step >> 1) + 8 * (lane & 3) + 4 * (step & 1);
            long q0 = QueryRow(a, b, r0, sampled), q1 = QueryRow(a, b, r0 + 8, sampled);
            qFrag[x] = new Bits128 { X = QueryPair(q, q0, d), Y = QueryPair(q, q1, d), Z = QueryPair(q, q0, d + 2), W = QueryPair(q, q1, d + 2) };
        }
        for (int r = tid; r < queryTiles * 16; r += threads)
            qVisible[r] = r < sampled ? a.StartPos + b.Start + MaskEstimation.SampledQuery(r, b.Length, a.BlockStrideQ) + 1 : 0;

        var k16 = kCache.Cast<Bits128>();                                // 8 halves a unit; a key row is headDim / 8 units
        int warp = tid / 32, warps = threads / 32, lane32 = tid & 31, row = lane32 >> 2, quad = lane32 & 3;
        int keysShift = Log2(a.BlockSizeK / a.BlockStrideK);              // sampled keys per candidate: a power of two
        int entries = 2 * kc << keysShift;                               // (candidate, sampled key) pairs
        int middleEnd = b.Horizon - a.Window;
        int emptyScore = TopK.OrderedKey(float.NegativeInfinity);
        while (maxSize > 1)
        {
            for (int c = tid; c < 2 * kc; c += threads)
                keys[c] = MaskEstimation.BranchSize(c, chunkSize) > 0 ? emptyScore : TopK.EmptyKey;
            Group.Barrier();                                             // also publishes qFrag / qVisible on the first pass

            for (int tile = warp; tile * 8 < entries; tile += warps)
            {
                // this lane's B row: entry tile·8 + row, the key it samples (−1: none or masked for every query)
                int e = tile * 8 + row, key = -1;
                if (e < entries)
                {
                    int c = e >> keysShift, size = MaskEstimation.BranchSize(c, chunkSize);
                    int k0 = (b.First + MaskEstimation.BranchStart(c, chunkStart, chunkSize) + size / 2) * a.BlockSizeK
                        + (e & ((1 << keysShift) - 1)) * a.BlockStrideK + a.BlockStrideK - 1;
                    if (size > 0 && k0 < middleEnd)
                        key = k0;
                }
                Bits128 b0 = default, b1 = default, b2 = default, b3 = default;
                if (key >= 0)
                {
                    long unit = KvLayout.Row(key, b.KvHead, a.KvHeads) * (a.HeadDim / 8) + quad;
                    b0 = k16[unit];
                    if (hd32 > 1)
                        b1 = k16[unit + 4];
                    if (hd32 > 2)
                        b2 = k16[unit + 8];
                    if (hd32 > 3)
                        b3 = k16[unit + 12];
                }
                int key0 = Warp.Shuffle(key, 8 * quad), key1 = Warp.Shuffle(key, 8 * quad + 4);   // this lane's columns 2·quad, 2·quad + 1
                float best0 = float.NegativeInfinity, best1 = float.NegativeInfinity;
                for (int qt = 0; qt < queryTiles; qt++)
                {
                    float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f;
                    int f = qt * kSteps * 32 + lane32;
                    StepPair(ref c0, ref c1, ref c2, ref c3, qFrag, f, b0);
                    if (hd32 > 1)
                        StepPair(ref c0, ref c1, ref c2, ref c3, qFrag, f + 64, b1);
                    if (hd32 > 2)
                        StepPair(ref c0, ref c1, ref c2, ref c3, qFrag, f + 128, b2);
                    if (hd32 > 3)
                        StepPair(ref c0, ref c1, ref c2, ref c3, qFrag, f + 192, b3);
                    int r0 = qt * 16 + row;
                    int limit0 = qVisible[r0] - a.Window, limit1 = qVisible[r0 + 8] - a.Window;   // a query scores keys < visible − window
                    best0 = Keep(best0, c0, key0, limit0);
                    best0 = Keep(best0, c2, key0, limit1);
                    best1 = Keep(best1, c1, key1, limit0);
                    best1 = Keep(best1, c3, key1, limit1);
                }
                for (int offset = 4; offset < 32; offset *= 2)           // max over the 8 row groups (lanes quad, quad + 4, ...)
                {
                    best0 = IntrinsicMath.Max(best0, Warp.ShuffleXor(best0, offset));
                    best1 = IntrinsicMath.Max(best1, Warp.ShuffleXor(best1, offset));
                }
                if (row == 0)
                {
                    int e0 = tile * 8 + 2 * quad;
                    if (key0 >= 0)
                        Atomic.Max(ref keys[e0 >> keysShift], TopK.OrderedKey(best0));
                    if (key1 >= 0)
                        Atomic.Max(ref keys[(e0 + 1) >> keysShift], TopK.OrderedKey(best1));
                }
            }
            Group.Barrier();
            MaskEstimation.KeepBest(keys, slots, scratch, histogram, chunkStart, chunkSize, kc);
            maxSize = (maxSize + 1) / 2;
        }
        MaskEstimation.WriteKept(a, b, chunkStart, chunkSize, slots, scratch, indices, counts);
    }

    // k-steps 2j and 2j+1 of one query tile: A from shared memory (f = this lane's fragment of step 2j), B from one 16-byte key load
    private static void StepPair(ref float c0, ref float c1, ref float c2, ref float c3, ArrayView<Bits128> qFrag, int f, Bits128 k)
    {
        var a0 = qFrag[f];
        Mma.MmaF16(ref c0, ref c1, ref c2, ref c3, a0.X, a0.Y, a0.Z, a0.W, k.X, k.Y);
        var a1 = qFrag[f + 32];
        Mma.MmaF16(ref c0, ref c1, ref c2, ref c3, a1.X, a1.Y, a1.Z, a1.W, k.Z, k.W);
    }

    private static float Keep(float best, float score, int key, int limit) => key >= 0 && key < limit && score > best ? score : best;

    // the float index of sampled row r's query (−1: padding row)
    private static long QueryRow(MaskEstimation.Args a, MaskEstimation.Block b, int r, int sampled) =>
        r < sampled ? ((long)(b.Start + MaskEstimation.SampledQuery(r, b.Length, a.BlockStrideQ)) * a.Heads + b.Head) * a.HeadDim : -1;

    private static uint QueryPair(ArrayView<float> q, long row, int d) => row < 0 ? 0u : Mma.PackHalf2(q[row + d], q[row + d + 1]);

    private static int Log2(int value)
    {
        int shift = 0;
        while ((1 << shift) < value)
            shift++;
        return shift;
    }

    /// <summary>
    /// What the kernel computes, as plain loops: <see cref="MaskEstimation.Reference"/> with every query rounded to fp16
    /// first (the kernel's A operand). The float32 sums of the tensor cores differ from the reference's by rounding only.
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, Span<int> indices, Span<int> counts,
        int tokens, int heads, int kvHeads, int headDim, int startPos, HipAttentionOptions options)
    {
        MaskEstimation.Reference(HalfQueries(q), kCache, indices, counts, tokens, heads, kvHeads, headDim, startPos, options);
    }

    /// <summary>The queries as the kernel's A operand holds them: each rounded to fp16 (nearest even), as floats.</summary>
    public static float[] HalfQueries(ReadOnlySpan<float> q)
    {
        var rounded = new float[q.Length];
        for (int i = 0; i < q.Length; i++)
            rounded[i] = (float)(System.Half)q[i];
        return rounded;
    }
}
