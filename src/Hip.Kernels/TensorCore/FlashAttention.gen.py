#!/usr/bin/env python3
"""Writes FlashAttention.Generated.cs: the tensor-core attention kernel hand-unrolled for head dims 64 and 128.

ILGPU 1.5.3 does not unroll loops, so register fragments (Q, S, O) are plain locals named per index; this script
writes them out. Run: python3 FlashAttention.gen.py > FlashAttention.Generated.cs
"""

def kernel(d, prefetch=False, keys=64, threads=256):
    """prefetch: the dense-only form for groups of exactly `threads` threads, which loads the next K/V tile into
    registers while the current one is multiplied (one group fits an SM: the loads would otherwise stall it).
    keys: keys per tile (64, one KvLayout block; 32 for the 4-warp form, whose smaller S and share of a tile leave
    room for two groups an SM)."""
    ks = d // 16          # k-steps of S = Q·Kᵀ
    on = d // 8           # n-tiles of O
    kstr = d // 2 + 8     # words per shared K row (padded to 8 mod 32: conflict-free 8-byte B loads)
    units = d // 8        # 16-byte units per K/V row
    steps = d // 16       # k-steps per K row: two units each
    L = []
    w = L.append
    ntiles = keys // 8    # n-tiles of S (8 keys each)
    psteps = keys // 16   # k-steps of O += P·V (16 keys each)
    name = (f"HeadDim{d}DenseKernel" if keys == 64 else f"HeadDim{d}Dense{keys}Kernel") if prefetch else f"HeadDim{d}Kernel"
    if prefetch:
        size = "PrefetchThreads" if threads == 256 else "SmallPrefetchThreads"
        w(f"    /// <summary>Dense mode, head dimension {d}, groups of <see cref=\"{size}\"/> threads, {keys} keys a tile: the next tile's")
        w(f"    /// K/V are loaded into registers while the current tile is multiplied. See <see cref=\"Args\"/> for the launch.</summary>")
    else:
        w(f"    /// <summary>The kernel for head dimension {d}; see <see cref=\"Args\"/> for the launch.</summary>")
    w(f"    public static void {name}(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,")
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
    if prefetch:
        kper = keys * steps // threads
        vper = keys // 2 * units // threads
        assert kper * threads == keys * steps and vper * threads == keys // 2 * units
        w("        // this thread's share of a tile: K rows kr, k-steps kc (two units each); V key pairs vp, units vu")
        for n in range(kper):
            w(f"        int kr{n} = (tid + {n * threads}) / Steps, kc{n} = (tid + {n * threads}) % Steps;")
        for n in range(vper):
            w(f"        int vp{n} = (tid + {n * threads}) % (Keys / 2), vu{n} = (tid + {n * threads}) / (Keys / 2);")
        w("        for (int i = tid; i < Keys; i += threads)")
        w("            codes[i] = KeyCode(a, indices, list, i);")
        def tile_loads(indent, declare, base):
            """the prefetch registers of the tile starting at list entry base (declare: first use)"""
            t = "Bits128 " if declare else ""
            for n in range(kper):
                w(f"{indent}{t}pk{n}a = LoadUnit(a, indices, list, k16, tile.KvHead, {base}kr{n}, Units, 2 * kc{n});")
                w(f"{indent}{t}pk{n}b = LoadUnit(a, indices, list, k16, tile.KvHead, {base}kr{n}, Units, 2 * kc{n} + 1);")
            for n in range(vper):
                w(f"{indent}{t}pv{n}x = LoadUnit(a, indices, list, v16, tile.KvHead, {base}2 * vp{n}, Units, vu{n});")
                w(f"{indent}{t}pv{n}y = LoadUnit(a, indices, list, v16, tile.KvHead, {base}2 * vp{n} + 1, Units, vu{n});")
        tile_loads("        ", True, "")
        w("        for (int e0 = 0; e0 < list.Length; e0 += Keys)")
        w("        {")
        w("            // the prefetched tile into shared memory, then the next one's loads in flight during the mma")
        for n in range(kper):
            w(f"            StoreKStep(ks16, kr{n} * (KStride / 4) + 2 * kc{n}, pk{n}a, pk{n}b);")
        for n in range(vper):
            w(f"            StorePairs(vt, 8 * vu{n} * VStride + PairColumn(vp{n}), pv{n}x, pv{n}y);")
        w("            Group.Barrier();")
        w("            int next = e0 + Keys;")
        tile_loads("            ", False, "next + ")
    else:
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
    if prefetch:
        w("            for (int i = tid; i < Keys; i += threads)   // the next tile's codes (masks), visible after the next barrier")
        w("                codes[i] = KeyCode(a, indices, list, next + i);")
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
print(kernel(64, prefetch=True))
print()
print(kernel(128, prefetch=True))
print()
print(kernel(64, prefetch=True, keys=32, threads=128))
print()
print(kernel(128, prefetch=True, keys=32, threads=128))
print("}")
