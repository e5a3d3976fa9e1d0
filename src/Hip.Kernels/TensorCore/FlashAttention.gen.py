#!/usr/bin/env python3
"""Writes FlashAttention.Generated.cs: the tensor-core attention kernel hand-unrolled for head dims 64 and 128.

ILGPU 1.5.3 does not unroll loops, so register fragments (Q, S, O) are plain locals named per index; this script
writes them out. Run: python3 FlashAttention.gen.py > FlashAttention.Generated.cs
"""

def kernel(d):
    """The kernel of both modes (dense and HiP) for any group size: each tile's K/V copied (V transposed) to shared
    memory by the whole group, then multiplied."""
    keys = 64
    ks = d // 16          # k-steps of S = Q·Kᵀ
    on = d // 8           # n-tiles of O
    kstr = d // 2 + 8     # words per shared K row (padded to 8 mod 32: conflict-free 8-byte B loads)
    units = d // 8        # 16-byte units per K/V row
    steps = d // 16       # k-steps per K row: two units each
    L = []
    w = L.append
    ntiles = keys // 8    # n-tiles of S (8 keys each)
    psteps = keys // 16   # k-steps of O += P·V (16 keys each)
    w(f"    /// <summary>The kernel for head dimension {d}; see <see cref=\"Args\"/> for the launch.</summary>")
    w(f"    public static void HeadDim{d}Kernel(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,")
    w(f"        ArrayView<int> indices, ArrayView<int> counts, Args a)")
    w("    {")
    w(f"        const int D = {d}, Units = {units}, Steps = {steps}, KStride = {kstr}, Keys = {keys};")
    w(f"        var ks16 = SharedMemory.Allocate<Bits128>(Keys * KStride / 4);   // K tile [Keys, D halves], padded, interleaved k-steps")
    w(f"        var ks64 = ks16.Cast<Bits64>();")
    w(f"        var vt64 = SharedMemory.Allocate<Bits64>(D * VStride / 2);   // V tile transposed [D, Keys] as key pairs (rows padded to VStride)")
    w(f"        var vt = vt64.Cast<uint>();")
    w(f"        var codes = SharedMemory.Allocate<int>(Keys);                // key code per tile column (see KeyCode)")
    w("        var k16 = kCache.Cast<Bits128>();")
    w("        var v16 = vCache.Cast<Bits128>();")
    w("        int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3, warp = Warp.WarpIdx, tid = Group.IdxX, threads = Group.DimX;")
    w("        var tile = TileOf(a, Grid.IdxX, warp);")
    w("        int h = tile.Head, t0 = tile.Token;")
    w("        bool active = t0 < a.Tokens;")
    w("        int pos0 = a.StartPos + t0 + g, pos1 = pos0 + 8;   // this lane's rows g and g + 8")
    w("        int ws0 = a.Mode == ModeHip ? IntrinsicMath.Max(0, pos0 + 1 - a.Window) : 0;")
    w("        int ws1 = a.Mode == ModeHip ? IntrinsicMath.Max(0, pos1 + 1 - a.Window) : 0;")
    w("        bool real0 = t0 + g < a.Tokens, real1 = t0 + g + 8 < a.Tokens;")
    w("        long qRow0 = ((long)(t0 + g) * a.Heads + h) * D, qRow1 = qRow0 + 8L * a.Heads * D;")
    w("        // Q fragments (A of S = Q·Kᵀ), pre-scaled by scale · log2 e, fp16: k-step kk holds dims 16kk .. 16kk + 15")
    w("        float scale2 = a.Scale * Log2E;")
    for kk in range(ks):
        w(f"        uint q{kk}a = real0 ? LoadQ(q, qRow0 + {16*kk} + 2 * t, scale2) : 0u, q{kk}b = real1 ? LoadQ(q, qRow1 + {16*kk} + 2 * t, scale2) : 0u;")
        w(f"        uint q{kk}c = real0 ? LoadQ(q, qRow0 + {16*kk+8} + 2 * t, scale2) : 0u, q{kk}d = real1 ? LoadQ(q, qRow1 + {16*kk+8} + 2 * t, scale2) : 0u;")
    w("        // O accumulators: n-tile n holds dims 8n .. 8n + 7 (c0, c1: row g; c2, c3: row g + 8)")
    for n in range(on):
        w(f"        float o{n}0 = 0f, o{n}1 = 0f, o{n}2 = 0f, o{n}3 = 0f;")
    w("        float m0 = float.NegativeInfinity, m1 = float.NegativeInfinity, l0 = 0f, l1 = 0f;")
    w("        var list = KeyListOf(a, indices, counts, tile);")
    w("        for (int e0 = 0; e0 < list.Length; e0 += Keys)")
    w("        {")
    w("            for (int i = tid; i < Keys; i += threads)")
    w("                codes[i] = KeyCode(a, indices, list, e0 + i);")
    w("            Group.Barrier();")
    w("            // K rows as 16-byte units; V transposed into key pairs, a warp's lanes on 32 consecutive pairs (conflict-free stores)")
    w("            for (int i = tid; i < Keys * Steps; i += threads)")
    w("            {")
    w("                int r = i / Steps, c = i % Steps, code = codes[r];")
    w("                StoreKStep(ks16, r * (KStride / 4) + 2 * c, Unit(a, code, k16, tile.KvHead, Units, 2 * c), Unit(a, code, k16, tile.KvHead, Units, 2 * c + 1));")
    w("            }")
    w("            for (int i = tid; i < Keys / 2 * Units; i += threads)")
    w("            {")
    w("                int kp = i % (Keys / 2), u = i / (Keys / 2);")
    w("                StorePairs(vt, 8 * u * VStride + PairColumn(kp), Unit(a, codes[2 * kp], v16, tile.KvHead, Units, u), Unit(a, codes[2 * kp + 1], v16, tile.KvHead, Units, u));")
    w("            }")
    w("            Group.Barrier();")
    w("            // warp-uniform: dense mode skips tiles wholly after the warp's last query")
    w("            if (active && (a.Mode == ModeHip || e0 <= a.StartPos + t0 + 15))")
    w("            {")
    for j in range(ntiles):
        w(f"                float s{j}0 = 0f, s{j}1 = 0f, s{j}2 = 0f, s{j}3 = 0f;")
    for kk in range(ks):
        for j in range(ntiles):
            w(f"                MmaB(ref s{j}0, ref s{j}1, ref s{j}2, ref s{j}3, q{kk}a, q{kk}b, q{kk}c, q{kk}d, ks64[({8*j} + g) * (KStride / 2) + {4*kk} + t]);")
    w("                // masks (HIP.md §3; dense: the causal mask) on every column; scores of hidden keys become −∞. A dense tile")
    w("                // wholly before the warp's first query is visible to all its rows: no mask (warp-uniform)")
    w("                if (a.Mode == ModeHip || e0 + Keys - 1 > a.StartPos + t0)")
    w("                {")
    for j in range(ntiles):
        w(f"                    int ca{j} = codes[{8*j} + 2 * t], cb{j} = codes[{8*j+1} + 2 * t];")
        w(f"                    s{j}0 = Visible(ca{j}, pos0, ws0) ? s{j}0 : float.NegativeInfinity; s{j}1 = Visible(cb{j}, pos0, ws0) ? s{j}1 : float.NegativeInfinity;")
        w(f"                    s{j}2 = Visible(ca{j}, pos1, ws1) ? s{j}2 : float.NegativeInfinity; s{j}3 = Visible(cb{j}, pos1, ws1) ? s{j}3 : float.NegativeInfinity;")
    w("                }")
    w("                // online softmax: the row max over the quad's lanes, then probabilities and rescaling")
    w("                float x0 = " + max_chain([f"s{j}0" for j in range(ntiles)] + [f"s{j}1" for j in range(ntiles)]) + ";")
    w("                float x1 = " + max_chain([f"s{j}2" for j in range(ntiles)] + [f"s{j}3" for j in range(ntiles)]) + ";")
    w("                x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 1)); x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 2));")
    w("                x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 1)); x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 2));")
    w("                float n0 = MathF.Max(m0, x0), n1 = MathF.Max(m1, x1);")
    w("                float r0 = n0 == float.NegativeInfinity ? 0f : n0, r1 = n1 == float.NegativeInfinity ? 0f : n1;   // all hidden: p = 0")
    w("                // scores are in log2 units (q carries log2 e): exp2 is one instruction")
    w("                float f0 = Exp2(m0 - r0), f1 = Exp2(m1 - r1);")
    w("                bool rescale = RowMaxMoved(n0 != m0 || n1 != m1);   // warp-uniform: O needs rescaling only when a row max moved")
    w("                m0 = n0; m1 = n1;")
    for j in range(ntiles):
        w(f"                s{j}0 = Exp2(s{j}0 - r0); s{j}1 = Exp2(s{j}1 - r0); s{j}2 = Exp2(s{j}2 - r1); s{j}3 = Exp2(s{j}3 - r1);")
    w("                l0 = l0 * f0 + " + " + ".join([f"s{j}0 + s{j}1" for j in range(ntiles)]) + ";")
    w("                l1 = l1 * f1 + " + " + ".join([f"s{j}2 + s{j}3" for j in range(ntiles)]) + ";")
    w("                if (rescale)")
    w("                {")
    for n in range(on):
        w(f"                    o{n}0 *= f0; o{n}1 *= f0; o{n}2 *= f1; o{n}3 *= f1;")
    w("                }")
    w("                // O += P·V: P's accumulator fragments are A fragments of the next mma (keys 16kk .. 16kk + 15)")
    for kk in range(psteps):
        j0, j1 = 2 * kk, 2 * kk + 1
        w(f"                uint p{kk}a = Mma.PackHalf2(s{j0}0, s{j0}1), p{kk}b = Mma.PackHalf2(s{j0}2, s{j0}3), p{kk}c = Mma.PackHalf2(s{j1}0, s{j1}1), p{kk}d = Mma.PackHalf2(s{j1}2, s{j1}3);")
    for kk in range(psteps):
        for n in range(on):
            w(f"                MmaB(ref o{n}0, ref o{n}1, ref o{n}2, ref o{n}3, p{kk}a, p{kk}b, p{kk}c, p{kk}d, vt64[({8*n} + g) * (VStride / 2) + {4*kk} + t]);")
    w("            }")
    w("            Group.Barrier();")
    w("        }")
    w("        l0 += Warp.ShuffleXor(l0, 1); l0 += Warp.ShuffleXor(l0, 2);")
    w("        l1 += Warp.ShuffleXor(l1, 1); l1 += Warp.ShuffleXor(l1, 2);")
    w("        float i0 = l0 > 0f ? 1f / l0 : 0f, i1 = l1 > 0f ? 1f / l1 : 0f;")
    w("        if (real0)")
    w("        {")
    for n in range(on):
        w(f"            o[qRow0 + {8*n} + 2 * t] = o{n}0 * i0; o[qRow0 + {8*n+1} + 2 * t] = o{n}1 * i0;")
    w("        }")
    w("        if (real1)")
    w("        {")
    for n in range(on):
        w(f"            o[qRow1 + {8*n} + 2 * t] = o{n}2 * i1; o[qRow1 + {8*n+1} + 2 * t] = o{n}3 * i1;")
    w("        }")
    w("    }")
    return "\n".join(L)


def kernel_ldmatrix(d):
    """The dense form for groups of 8 warps over 64-key tiles in one shared stage (two barriers a tile): the next
    tile's K/V rows are loaded into registers while the current tile is multiplied and stored as they are (rows padded
    by 16 bytes); B fragments come from ldmatrix (K rows) and ldmatrix.trans (V rows). No cp.async: with it in the kernel
    ptxas left every inline-asm operand of ILGPU's lowering on the stack (3,472 bytes; 189 registers and no stack
    without it)."""
    ks = d // 16          # k-steps of S = Q·Kᵀ
    on = d // 8           # n-tiles of O
    keys, threads, stages = 64, 256, 1   # two stages of 32 keys for 4-warp groups measured slower (72.8 ms against 55.1 at 32K)
    L = []
    w = L.append
    ntiles = keys // 8    # n-tiles of S
    psteps = keys // 16   # k-steps of O += P·V
    per = 2 * keys * (d // 8) // threads   # 16-byte units of a tile (K then V) per thread
    w(f"    /// <summary>Dense mode, head dimension {d}, groups of <see cref=\"LdmatrixThreads\"/> threads, {keys}-key tiles in {stages} shared stage{'s' if stages > 1 else ''}, B")
    w(f"    /// fragments by ldmatrix; needs <see cref=\"LdmatrixSharedBytes\"/>({d}) bytes of dynamic shared memory.</summary>")
    w(f"    public static void HeadDim{d}LdmatrixKernel(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,")
    w(f"        ArrayView<int> indices, ArrayView<int> counts, Args a)")
    w("    {")
    w(f"        const int D = {d}, Keys = {keys}, Units = D / 8, RowBytes = 2 * D + 16, TileBytes = Keys * RowBytes;")
    w(f"        var shared = SharedMemory.GetDynamic<uint>();   // [{stages} stage{'s' if stages > 1 else ''}][K tile, V tile] of [Keys, D halves], rows padded to RowBytes")
    w("        var shared16 = shared.Cast<Bits128>();")
    w("        uint sbase = SharedTiles.DynamicBase();")
    w("        int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3, warp = Warp.WarpIdx, tid = Group.IdxX, threads = Group.DimX;")
    w("        var tile = TileOf(a, Grid.IdxX, warp);")
    w("        int h = tile.Head, t0 = tile.Token;")
    w("        bool active = t0 < a.Tokens;")
    w("        int pos0 = a.StartPos + t0 + g, pos1 = pos0 + 8;   // this lane's rows g and g + 8")
    w("        bool real0 = t0 + g < a.Tokens, real1 = t0 + g + 8 < a.Tokens;")
    w("        long qRow0 = ((long)(t0 + g) * a.Heads + h) * D, qRow1 = qRow0 + 8L * a.Heads * D;")
    w("        // Q fragments (A of S = Q·Kᵀ), pre-scaled by scale · log2 e, fp16: k-step kk holds dims 16kk .. 16kk + 15")
    w("        float scale2 = a.Scale * Log2E;")
    for kk in range(ks):
        w(f"        uint q{kk}a = real0 ? LoadQ(q, qRow0 + {16*kk} + 2 * t, scale2) : 0u, q{kk}b = real1 ? LoadQ(q, qRow1 + {16*kk} + 2 * t, scale2) : 0u;")
        w(f"        uint q{kk}c = real0 ? LoadQ(q, qRow0 + {16*kk+8} + 2 * t, scale2) : 0u, q{kk}d = real1 ? LoadQ(q, qRow1 + {16*kk+8} + 2 * t, scale2) : 0u;")
    w("        // O accumulators: n-tile n holds dims 8n .. 8n + 7 (c0, c1: row g; c2, c3: row g + 8)")
    for n in range(on):
        w(f"        float o{n}0 = 0f, o{n}1 = 0f, o{n}2 = 0f, o{n}3 = 0f;")
    w("        float m0 = float.NegativeInfinity, m1 = float.NegativeInfinity, l0 = 0f, l1 = 0f;")
    w("        int end = a.StartPos + IntrinsicMath.Min(a.Tokens, (tile.Block + 1) * a.QueryTile);   // keys 0 .. end − 1")
    w("        int tiles = (end + Keys - 1) / Keys;")
    w("        // ldmatrix row offsets: K rows 8j + (lane & 7), 16-byte column lane >> 3 (b0, b1 of two k-steps); V rows")
    w("        // (lane & 7) + 8 ((lane >> 3) & 1), 16-byte column lane >> 4 (b0, b1 of two n-tiles)")
    w("        int kLane = (lane & 7) * RowBytes + 16 * (lane >> 3), vLane = ((lane & 7) + 8 * ((lane >> 3) & 1)) * RowBytes + 16 * (lane >> 4);")
    w("        var k16 = kCache.Cast<Bits128>();")
    w("        var v16 = vCache.Cast<Bits128>();")
    w("        // this thread's share of a tile: rows tr, 16-byte units tu of K and of V; keys from `end` on read as zeros")
    for n in range(per // 2):
        w(f"        int tr{n} = (tid + {n * threads}) / Units, tu{n} = (tid + {n * threads}) % Units;")
    def loads(indent, declare, base):
        t = "Bits128 " if declare else ""
        for n in range(per // 2):
            w(f"{indent}{t}pk{n} = TileUnit(a, k16, tile.KvHead, {base}tr{n}, end, Units, tu{n});")
            w(f"{indent}{t}pv{n} = TileUnit(a, v16, tile.KvHead, {base}tr{n}, end, Units, tu{n});")
    loads("        ", True, "")
    w("        for (int it = 0; it < tiles; it++)")
    w("        {")
    if stages == 2:
        w("            int e0 = it * Keys, kBase = (it & 1) * 2 * TileBytes, vBase = kBase + TileBytes;")
        w("            // the prefetched tile into stage it & 1 (last read by tile it − 2, before the previous barrier)")
    else:
        w("            int e0 = it * Keys, kBase = 0, vBase = TileBytes;")
        w("            // the prefetched tile into the stage (last read by tile it − 1, before the loop's last barrier)")
    for n in range(per // 2):
        w(f"            shared16[(kBase + tr{n} * RowBytes) / 16 + tu{n}] = pk{n}; shared16[(vBase + tr{n} * RowBytes) / 16 + tu{n}] = pv{n};")
    w("            Group.Barrier();")
    w("            if (it + 1 < tiles)   // the next tile's loads in flight during this tile's products")
    w("            {")
    loads("                ", False, "e0 + Keys + ")
    w("            }")
    w("            // warp-uniform: tiles wholly after the warp's last query are skipped")
    w("            if (active && e0 <= a.StartPos + t0 + 15)")
    w("            {")
    for j in range(ntiles):
        w(f"                float s{j}0 = 0f, s{j}1 = 0f, s{j}2 = 0f, s{j}3 = 0f;")
    for kp in range(ks // 2):
        for j in range(ntiles):
            w(f"                SharedTiles.Load4(shared, sbase, kBase + {8*j} * RowBytes + {64*kp} + kLane, false, out uint k{j}_{kp}a, out uint k{j}_{kp}b, out uint k{j}_{kp}c, out uint k{j}_{kp}d);")
        for j in range(ntiles):
            w(f"                Mma.MmaF16(ref s{j}0, ref s{j}1, ref s{j}2, ref s{j}3, q{2*kp}a, q{2*kp}b, q{2*kp}c, q{2*kp}d, k{j}_{kp}a, k{j}_{kp}b);")
            w(f"                Mma.MmaF16(ref s{j}0, ref s{j}1, ref s{j}2, ref s{j}3, q{2*kp+1}a, q{2*kp+1}b, q{2*kp+1}c, q{2*kp+1}d, k{j}_{kp}c, k{j}_{kp}d);")
    w("                // the causal mask, only on tiles that reach past the warp's first query (warp-uniform)")
    w("                if (e0 + Keys - 1 > a.StartPos + t0)")
    w("                {")
    for j in range(ntiles):
        w(f"                    int c{j} = e0 + {8*j} + 2 * t;")
        w(f"                    s{j}0 = c{j} <= pos0 ? s{j}0 : float.NegativeInfinity; s{j}1 = c{j} + 1 <= pos0 ? s{j}1 : float.NegativeInfinity;")
        w(f"                    s{j}2 = c{j} <= pos1 ? s{j}2 : float.NegativeInfinity; s{j}3 = c{j} + 1 <= pos1 ? s{j}3 : float.NegativeInfinity;")
    w("                }")
    w("                // online softmax: the row max over the quad's lanes, then probabilities and rescaling")
    w("                float x0 = " + max_chain([f"s{j}0" for j in range(ntiles)] + [f"s{j}1" for j in range(ntiles)]) + ";")
    w("                float x1 = " + max_chain([f"s{j}2" for j in range(ntiles)] + [f"s{j}3" for j in range(ntiles)]) + ";")
    w("                x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 1)); x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 2));")
    w("                x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 1)); x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 2));")
    w("                float n0 = MathF.Max(m0, x0), n1 = MathF.Max(m1, x1);")
    w("                float r0 = n0 == float.NegativeInfinity ? 0f : n0, r1 = n1 == float.NegativeInfinity ? 0f : n1;   // all hidden: p = 0")
    w("                float f0 = Exp2(m0 - r0), f1 = Exp2(m1 - r1);")
    w("                bool rescale = RowMaxMoved(n0 != m0 || n1 != m1);   // warp-uniform: O needs rescaling only when a row max moved")
    w("                m0 = n0; m1 = n1;")
    for j in range(ntiles):
        w(f"                s{j}0 = Exp2(s{j}0 - r0); s{j}1 = Exp2(s{j}1 - r0); s{j}2 = Exp2(s{j}2 - r1); s{j}3 = Exp2(s{j}3 - r1);")
    w("                l0 = l0 * f0 + " + " + ".join([f"s{j}0 + s{j}1" for j in range(ntiles)]) + ";")
    w("                l1 = l1 * f1 + " + " + ".join([f"s{j}2 + s{j}3" for j in range(ntiles)]) + ";")
    w("                if (rescale)")
    w("                {")
    for n in range(on):
        w(f"                    o{n}0 *= f0; o{n}1 *= f0; o{n}2 *= f1; o{n}3 *= f1;")
    w("                }")
    w("                // O += P·V: P's accumulator fragments are A fragments of the next mma (keys 16kk .. 16kk + 15)")
    for kk in range(psteps):
        j0, j1 = 2 * kk, 2 * kk + 1
        w(f"                uint p{kk}a = Mma.PackHalf2(s{j0}0, s{j0}1), p{kk}b = Mma.PackHalf2(s{j0}2, s{j0}3), p{kk}c = Mma.PackHalf2(s{j1}0, s{j1}1), p{kk}d = Mma.PackHalf2(s{j1}2, s{j1}3);")
    for kk in range(psteps):
        for np_ in range(on // 2):
            w(f"                SharedTiles.Load4(shared, sbase, vBase + {16*kk} * RowBytes + {32*np_} + vLane, true, out uint v{kk}_{np_}a, out uint v{kk}_{np_}b, out uint v{kk}_{np_}c, out uint v{kk}_{np_}d);")
            w(f"                Mma.MmaF16(ref o{2*np_}0, ref o{2*np_}1, ref o{2*np_}2, ref o{2*np_}3, p{kk}a, p{kk}b, p{kk}c, p{kk}d, v{kk}_{np_}a, v{kk}_{np_}b);")
            w(f"                Mma.MmaF16(ref o{2*np_+1}0, ref o{2*np_+1}1, ref o{2*np_+1}2, ref o{2*np_+1}3, p{kk}a, p{kk}b, p{kk}c, p{kk}d, v{kk}_{np_}c, v{kk}_{np_}d);")
    w("            }")
    if stages == 1:
        w("            Group.Barrier();   // every warp is done with the stage before the next tile is stored")
    w("        }")
    w("        l0 += Warp.ShuffleXor(l0, 1); l0 += Warp.ShuffleXor(l0, 2);")
    w("        l1 += Warp.ShuffleXor(l1, 1); l1 += Warp.ShuffleXor(l1, 2);")
    w("        float i0 = l0 > 0f ? 1f / l0 : 0f, i1 = l1 > 0f ? 1f / l1 : 0f;")
    w("        if (real0)")
    w("        {")
    for n in range(on):
        w(f"            o[qRow0 + {8*n} + 2 * t] = o{n}0 * i0; o[qRow0 + {8*n+1} + 2 * t] = o{n}1 * i0;")
    w("        }")
    w("        if (real1)")
    w("        {")
    for n in range(on):
        w(f"            o[qRow1 + {8*n} + 2 * t] = o{n}2 * i1; o[qRow1 + {8*n+1} + 2 * t] = o{n}3 * i1;")
    w("        }")
    w("    }")
    return "\n".join(L)


def max_chain(names):
    expr = names[0]
    for n in names[1:]:
        expr = f"MathF.Max({expr}, {n})"
    return expr


print("// <auto-generated> by FlashAttention.gen.py: edit the script, not this file. </auto-generated>")
print("using ILGPU;")
print()
print("namespace Hip.Kernels;")
print()
print("public static partial class FlashAttention")
print("{")
print(kernel(64))
print()
print(kernel(128))
print()
print(kernel_ldmatrix(64))
print()
print(kernel_ldmatrix(128))
print("}")
