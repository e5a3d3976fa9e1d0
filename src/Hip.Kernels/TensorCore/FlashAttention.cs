using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>
/// Prefill attention on tensor cores (FlashAttention-2 style) over the F16 block-layout KV cache (<see cref="KvLayout"/>),
/// in two modes that share one kernel body:
/// <list type="bullet">
/// <item>dense causal: a group per (KV head, query tile); the G = heads / kvHeads query heads of the KV head share every
/// K/V tile load;</item>
/// <item>HiP block-sparse (<see cref="BlockSparseAttention"/>'s algorithm, HIP.md §3): a group per (head, query block);
/// the key list sink ++ selected key blocks ++ window is gathered 64 keys at a time.</item>
/// </list>
/// Each warp owns 16 queries of one head: Q (pre-scaled, fp16) as mma A fragments in registers; per 64-key tile the group
/// copies K (row-major) and V (transposed, so its B fragments are key pairs) to shared memory; S = Q·Kᵀ with
/// <see cref="Mma.MmaF16"/>, the masks, an online softmax in registers (row max and sum over the lane quad), P rounded to
/// fp16 as the A fragments of O += P·V. Accumulation in float32. K/V tiles move as 16-byte global loads, B fragments as
/// 8-byte shared loads (see <see cref="PairColumn"/>). The dense ldmatrix form (CUDA's default; groups of 8 warps)
/// stores K and V rows as they are, one 64-key tile at a time, loads the next tile into registers while the current one
/// is multiplied, and takes its B fragments by ldmatrix (K) and ldmatrix.trans (V) (<see cref="SharedTiles"/>). The kernels are hand-unrolled per head dimension
/// (FlashAttention.Generated.cs, written by FlashAttention.gen.py).
/// </summary>
public static partial class FlashAttention
{
    // Legend: t token, h query head, g KV head (in the kernels g is the lane's fragment row), e position in the key list.

    /// <summary>Keys per tile: one <see cref="KvLayout"/> block.</summary>
    public const int TileKeys = 64;

    /// <summary>Queries a warp owns (the rows of one mma A fragment).</summary>
    public const int WarpQueries = 16;

    /// <summary>Threads of a group of the ldmatrix dense kernels (HeadDim64LdmatrixKernel, HeadDim128LdmatrixKernel): 8 warps.</summary>
    public const int LdmatrixThreads = 256;

    /// <summary>
    /// Dynamic shared memory of the ldmatrix dense kernels: a tile of 64 K rows and 64 V rows, each padded by 16 bytes.
    /// </summary>
    public static int LdmatrixSharedBytes(int headDim) => 2 * 64 * (2 * headDim + 16);

    /// <summary>Mode: dense causal attention.</summary>
    public const int ModeDense = 0;

    /// <summary>Mode: HiP sink + selected blocks + window.</summary>
    public const int ModeHip = 1;

    private const int VStride = TileKeys / 2 + 8;     // words per transposed V row (padded to 8 mod 32: conflict-free 8-byte B loads; 32-key tiles use 16 of them)
    private const int WindowFlag = 1 << 30;            // key code bit: the key belongs to the list's window part
    private const int PositionMask = WindowFlag - 1;

    /// <summary>Shapes, mode and HiP options of one launch.</summary>
    public struct Args
    {
        public int Mode, Tokens, Heads, KvHeads, StartPos, QueryTile, QueryTiles;
        public int QueryBlocks, BlockSizeQ, BlockSizeK, Sink, Window, Chunks;
        public float Scale;

        /// <summary>Dense causal attention; groups of QueryTile / 16 · heads / kvHeads warps, grid <see cref="Groups"/>.</summary>
        public static Args Dense(int tokens, int heads, int kvHeads, int startPos, float scale, int queryTile) => new()
        {
            Mode = ModeDense, Tokens = tokens, Heads = heads, KvHeads = kvHeads, StartPos = startPos, Scale = scale,
            QueryTile = queryTile, QueryTiles = (tokens + queryTile - 1) / queryTile,
        };

        /// <summary>HiP block-sparse attention; groups of BlockSizeQ / 16 warps, grid <see cref="Groups"/>.</summary>
        public static Args Hip(int tokens, int heads, int kvHeads, int startPos, float scale, HipAttentionOptions options) => new()
        {
            Mode = ModeHip, Tokens = tokens, Heads = heads, KvHeads = kvHeads, StartPos = startPos, Scale = scale,
            QueryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ, BlockSizeQ = options.BlockSizeQ,
            BlockSizeK = options.BlockSizeK, Sink = options.SinkTokens, Window = options.WindowTokens, Chunks = options.Chunks,
        };

        /// <summary>Groups of the launch.</summary>
        public readonly int Groups => Mode == ModeHip ? Heads * QueryBlocks : KvHeads * QueryTiles;

        /// <summary>Warps per group.</summary>
        public readonly int Warps => Mode == ModeHip ? BlockSizeQ / WarpQueries : QueryTile / WarpQueries * (Heads / KvHeads);
    }

    // What one warp of one group works on: head, KV head, first query (token index) and the group's query block or tile.
    private struct Tile
    {
        public int Head, KvHead, Token, Block;
    }

    // The group's key list: [0, SinkCount) sink, then SelectedCount keys of the mask's blocks, then the window from
    // WindowStart; dense: positions 0 .. Length − 1.
    private struct KeyList
    {
        public int Length, SinkCount, SelectedCount, WindowStart, VisibleEnd;
        public long IndexBase;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Tile TileOf(Args a, int group, int warp)
    {
        int groupHeads = a.Heads / a.KvHeads;
        if (a.Mode == ModeHip)
        {
            int h = group / a.QueryBlocks, m = group % a.QueryBlocks;
            return new Tile { Head = h, KvHead = h / groupHeads, Token = m * a.BlockSizeQ + warp * WarpQueries, Block = m };
        }
        // longest (latest) query tiles first: the causal triangle's heavy groups start early
        int g = group / a.QueryTiles, tile = a.QueryTiles - 1 - group % a.QueryTiles;
        int warpsPerHead = a.QueryTile / WarpQueries;
        return new Tile
        {
            Head = g * groupHeads + warp / warpsPerHead, KvHead = g,
            Token = tile * a.QueryTile + warp % warpsPerHead * WarpQueries, Block = tile,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static KeyList KeyListOf(Args a, ArrayView<int> indices, ArrayView<int> counts, Tile tile)
    {
        if (a.Mode == ModeDense)
        {
            int end = a.StartPos + IntrinsicMath.Min(a.Tokens, (tile.Block + 1) * a.QueryTile);
            return new KeyList { Length = end, VisibleEnd = end };
        }
        int blockStart = tile.Block * a.BlockSizeQ, blockLength = IntrinsicMath.Min(a.BlockSizeQ, a.Tokens - blockStart);
        int visible0 = a.StartPos + blockStart + 1, lastVisible = visible0 + blockLength - 1;
        int windowStart = IntrinsicMath.Max(0, visible0 - a.Window);
        int sinkCount = IntrinsicMath.Min(a.Sink, IntrinsicMath.Max(0, lastVisible - a.Window));
        int row = tile.Head * a.QueryBlocks + tile.Block;
        int selectedCount = IntrinsicMath.Clamp(counts[row], 0, a.Chunks) * a.BlockSizeK;
        return new KeyList
        {
            Length = sinkCount + selectedCount + (lastVisible - windowStart), SinkCount = sinkCount,
            SelectedCount = selectedCount, WindowStart = windowStart, VisibleEnd = lastVisible, IndexBase = (long)row * a.Chunks,
        };
    }

    // Key code of list entry e: −1 none; a position (sink or selected part: seen by queries whose window starts after
    // it); a position | WindowFlag (window part, and every dense key: seen by queries from the window start to their own).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KeyCode(Args a, ArrayView<int> indices, KeyList list, int e)
    {
        if (e >= list.Length)
            return -1;
        if (a.Mode == ModeDense)
            return e | WindowFlag;
        if (e < list.SinkCount)
            return e;
        int x = e - list.SinkCount;
        if (x < list.SelectedCount)
        {
            int key = indices[list.IndexBase + x / a.BlockSizeK] + x % a.BlockSizeK;
            return key >= a.Sink && key < list.VisibleEnd ? key : -1;   // a stray index reads nothing, never out of bounds
        }
        return (list.WindowStart + x - list.SelectedCount) | WindowFlag;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Visible(int code, int position, int windowStart)
    {
        if (code < 0)
            return false;
        int key = code & PositionMask;
        return (code & WindowFlag) != 0 ? key >= windowStart && key <= position : key < windowStart;
    }

    private const float Log2E = 1.44269504088896341f;

    // 2^x: ex2.approx on CUDA (what MathF.Exp lowers to after a multiply by log2 e), the library on the CPU
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Exp2(float x)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("ex2.approx.ftz.f32 %0, %1;", out float y, x);
            return y;
        }
        return MathF.Pow(2f, x);
    }

    // whether any lane's flag is set (warp-uniform; every lane must call)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RowMaxMoved(bool moved)
    {
        int any = moved ? 1 : 0;
        for (int offset = 1; offset < 32; offset *= 2)
            any |= Warp.ShuffleXor(any, offset);
        return any != 0;
    }

    // one 16-byte unit (u) of list entry e's K or V row, zero for an entry that reads nothing
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Bits128 LoadUnit(Args a, ArrayView<int> indices, KeyList list, ArrayView<Bits128> cache, int kvHead, int e, int units, int u) =>
        Unit(a, KeyCode(a, indices, list, e), cache, kvHead, units, u);

    // one 16-byte unit (u) of the K or V row of key code `code` (see KeyCode), zero for −1
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Bits128 Unit(Args a, int code, ArrayView<Bits128> cache, int kvHead, int units, int u) =>
        code >= 0 ? cache[KvLayout.Row(code & PositionMask, kvHead, a.KvHeads) * units + u] : default;

    // B fragments as one 8-byte shared load: in every 8-word group of a K row (one k-step) and of a transposed V row
    // (16 keys) the words are stored in the order 0, 4, 1, 5, 2, 6, 3, 7, so lane t's pair (word t, word t + 4) is
    // adjacent at 2t; rows are padded to 8 mod 32 words, which keeps a half-warp's 8-byte loads on distinct banks.

    /// <summary>Column of key pair kp in a transposed V row (the 0, 4, 1, 5, 2, 6, 3, 7 order in groups of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairColumn(int kp)
    {
        int i = kp & 7;
        return (kp & ~7) + (i < 4 ? 2 * i : 2 * i - 7);
    }

    // one k-step of a K row (a, b: its two 16-byte units, words 0..3 and 4..7) in the interleaved order, at ks16[at], ks16[at + 1]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreKStep(ArrayView<Bits128> ks16, int at, Bits128 a, Bits128 b)
    {
        ks16[at] = new Bits128 { X = a.X, Y = b.X, Z = a.Y, W = b.Y };
        ks16[at + 1] = new Bits128 { X = a.Z, Y = b.Z, Z = a.W, W = b.W };
    }

    // c += A·B with B's two registers from one 8-byte shared load
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MmaB(ref float c0, ref float c1, ref float c2, ref float c3, uint a0, uint a1, uint a2, uint a3, Bits64 b) =>
        Mma.MmaF16(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b.X, b.Y);

    // the transposed V tile: dims 8u .. 8u + 7 (x, y: one 16-byte unit of keys 2kp and 2kp + 1) as key pairs, rows
    // 8u .. 8u + 7 of column PairColumn(kp) (at = 8u · VStride + that column): key 2kp low, 2kp + 1 high
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs(ArrayView<uint> vt, int at, Bits128 x, Bits128 y)
    {
        vt[at] = (x.X & 0xFFFFu) | (y.X << 16);
        vt[at + VStride] = (x.X >> 16) | (y.X & 0xFFFF0000u);
        vt[at + 2 * VStride] = (x.Y & 0xFFFFu) | (y.Y << 16);
        vt[at + 3 * VStride] = (x.Y >> 16) | (y.Y & 0xFFFF0000u);
        vt[at + 4 * VStride] = (x.Z & 0xFFFFu) | (y.Z << 16);
        vt[at + 5 * VStride] = (x.Z >> 16) | (y.Z & 0xFFFF0000u);
        vt[at + 6 * VStride] = (x.W & 0xFFFFu) | (y.W << 16);
        vt[at + 7 * VStride] = (x.W >> 16) | (y.W & 0xFFFF0000u);
    }

    // one 16-byte unit (u) of the K or V row of position `key`, zero from `end` on (keys the causal mask hides; a zero V
    // keeps their P = 0 products finite, where the cache past `end` may hold anything)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Bits128 TileUnit(Args a, ArrayView<Bits128> cache, int kvHead, int key, int end, int units, int u) =>
        key < end ? cache[KvLayout.Row(key, kvHead, a.KvHeads) * units + u] : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint LoadQ(ArrayView<float> q, long index, float scale) => Mma.PackHalf2(q[index] * scale, q[index + 1] * scale);

    /// <summary>
    /// Dense causal attention as plain loops in double: o [tokens, heads·headDim] from q [tokens, heads·headDim] at
    /// positions startPos.. and the F16 caches [blocks, kvHeads, 64, headDim] (keys 0 .. startPos + t for token t).
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<ushort> kCache, ReadOnlySpan<ushort> vCache, Span<float> o,
        int tokens, int heads, int kvHeads, int headDim, int startPos, float scale)
    {
        for (int t = 0; t < tokens; t++)
        {
            var keys = Enumerable.Range(0, startPos + t + 1).ToList();
            for (int h = 0; h < heads; h++)
                ReferenceRow(q.Slice((t * heads + h) * headDim, headDim), kCache, vCache, o.Slice((t * heads + h) * headDim, headDim),
                    keys, h / (heads / kvHeads), kvHeads, headDim, scale);
        }
    }

    /// <summary>
    /// HiP block-sparse attention as plain loops in double over <see cref="BlockSparseAttention.KeySet"/>'s keys, with the
    /// mask indices [heads, queryBlocks, chunks] and counts [heads, queryBlocks]; caches as <see cref="Reference"/>.
    /// </summary>
    public static void HipReference(ReadOnlySpan<float> q, ReadOnlySpan<ushort> kCache, ReadOnlySpan<ushort> vCache, Span<float> o,
        ReadOnlySpan<int> indices, ReadOnlySpan<int> counts, int tokens, int heads, int kvHeads, int headDim, int startPos,
        float scale, HipAttentionOptions options)
    {
        int queryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int row = h * queryBlocks + t / options.BlockSizeQ;
                var keys = BlockSparseAttention.KeySet(indices.Slice(row * options.Chunks, counts[row]), startPos + t + 1, options);
                ReferenceRow(q.Slice((t * heads + h) * headDim, headDim), kCache, vCache, o.Slice((t * heads + h) * headDim, headDim),
                    keys, h / (heads / kvHeads), kvHeads, headDim, scale);
            }
    }

    private static void ReferenceRow(ReadOnlySpan<float> q, ReadOnlySpan<ushort> kCache, ReadOnlySpan<ushort> vCache, Span<float> o,
        List<int> keys, int g, int kvHeads, int headDim, float scale)
    {
        var scores = new double[keys.Count];
        double max = double.NegativeInfinity;
        for (int j = 0; j < keys.Count; j++)
        {
            long row = KvLayout.Row(keys[j], g, kvHeads) * headDim;
            double s = 0;
            for (int d = 0; d < headDim; d++)
                s += (double)q[d] * WeightBits.ToFloat(kCache[(int)(row + d)], WeightFormat.F16);
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
                acc += scores[j] * WeightBits.ToFloat(vCache[(int)(KvLayout.Row(keys[j], g, kvHeads) * headDim + d)], WeightFormat.F16);
            o[d] = keys.Count > 0 ? (float)(acc / sum) : 0f;
        }
    }
}
