#!/usr/bin/env python3
"""Writes FlashAttention.Generated.cs: the tensor-core attention kernel hand-unrolled for head dims 64 and 128.

ILGPU 1.5.3 does not unroll loops, so register fragments (Q, S, O) are plain locals named per index; this script
writes them out. Run: python3 FlashAttention.gen.py > FlashAttention.Generated.cs
"""

def kernel(d):
    ks = d // 16          # k-steps of S = Q·Kᵀ
    on = d // 8           # n-tiles of O
    kstr = d // 2 + 4     # words per shared K row (padded: conflict-free B loads)
    L = []
    w = L.append
    w(f"    /// <summary>The kernel for head dimension {d}; see <see cref=\"Args\"/> for the launch.</summary>")
    w(f"    public static void HeadDim{d}Kernel(ArrayView<float> q, ArrayView<ushort> kCache, ArrayView<ushort> vCache, ArrayView<float> o,")
    w(f"        ArrayView<int> indices, ArrayView<int> counts, Args a)")
    w("    {")
    w(f"        const int D = {d}, Words = D / 2, KStride = {kstr};")
    w(f"        var ks = SharedMemory.Allocate<uint>(TileKeys * KStride);        // K tile [64 keys, D halves], padded rows")
    w(f"        var vt = SharedMemory.Allocate<uint>(D * VStride);               // V tile transposed [D, 64 keys] as key pairs")
    w(f"        var codes = SharedMemory.Allocate<int>(TileKeys);                // key code per tile column (see KeyCode)")
    w("        var k32 = kCache.Cast<uint>();")
    w("        var v32 = vCache.Cast<uint>();")
    w("        int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3, warp = Warp.WarpIdx, tid = Group.IdxX, threads = Group.DimX;")
    w("        var tile = TileOf(a, Grid.IdxX, warp);")
    w("        int h = tile.Head, t0 = tile.Token;")
    w("        bool active = t0 < a.Tokens;")
    w("        int pos0 = a.StartPos + t0 + g, pos1 = pos0 + 8;   // this lane's rows g and g + 8")
    w("        int ws0 = a.Mode == ModeHip ? IntrinsicMath.Max(0, pos0 + 1 - a.Window) : 0;")
    w("        int ws1 = a.Mode == ModeHip ? IntrinsicMath.Max(0, pos1 + 1 - a.Window) : 0;")
    w("        bool real0 = t0 + g < a.Tokens, real1 = t0 + g + 8 < a.Tokens;")
    w("        long qRow0 = ((long)(t0 + g) * a.Heads + h) * D, qRow1 = qRow0 + 8L * a.Heads * D;")
    w("        // Q fragments (A of S = Q·Kᵀ), pre-scaled fp16: k-step kk holds dims 16kk .. 16kk + 15")
    for kk in range(ks):
        w(f"        uint q{kk}a = real0 ? LoadQ(q, qRow0 + {16*kk} + 2 * t, a.Scale) : 0u, q{kk}b = real1 ? LoadQ(q, qRow1 + {16*kk} + 2 * t, a.Scale) : 0u;")
        w(f"        uint q{kk}c = real0 ? LoadQ(q, qRow0 + {16*kk+8} + 2 * t, a.Scale) : 0u, q{kk}d = real1 ? LoadQ(q, qRow1 + {16*kk+8} + 2 * t, a.Scale) : 0u;")
    w("        // O accumulators: n-tile n holds dims 8n .. 8n + 7 (c0, c1: row g; c2, c3: row g + 8)")
    for n in range(on):
        w(f"        float o{n}0 = 0f, o{n}1 = 0f, o{n}2 = 0f, o{n}3 = 0f;")
    w("        float m0 = float.NegativeInfinity, m1 = float.NegativeInfinity, l0 = 0f, l1 = 0f;")
    w("        var list = KeyListOf(a, indices, counts, tile);")
    w("        for (int e0 = 0; e0 < list.Length; e0 += TileKeys)")
    w("        {")
    w("            for (int i = tid; i < TileKeys; i += threads)")
    w("                codes[i] = KeyCode(a, indices, list, e0 + i);")
    w("            Group.Barrier();")
    w("            for (int i = tid; i < TileKeys * Words; i += threads)")
    w("            {")
    w("                int r = i / Words, c = i % Words, code = codes[r];")
    w("                ks[r * KStride + c] = code >= 0 ? k32[KvLayout.Row(code & PositionMask, tile.KvHead, a.KvHeads) * Words + c] : 0u;")
    w("            }")
    w("            for (int i = tid; i < TileKeys / 2 * Words; i += threads)")
    w("            {")
    w("                int kp = i / Words, c = i % Words, code0 = codes[2 * kp], code1 = codes[2 * kp + 1];")
    w("                uint x = code0 >= 0 ? v32[KvLayout.Row(code0 & PositionMask, tile.KvHead, a.KvHeads) * Words + c] : 0u;")
    w("                uint y = code1 >= 0 ? v32[KvLayout.Row(code1 & PositionMask, tile.KvHead, a.KvHeads) * Words + c] : 0u;")
    w("                vt[2 * c * VStride + kp] = (x & 0xFFFFu) | (y << 16);")
    w("                vt[(2 * c + 1) * VStride + kp] = (x >> 16) | (y & 0xFFFF0000u);")
    w("            }")
    w("            Group.Barrier();")
    w("            // warp-uniform: dense mode skips tiles wholly after the warp's last query")
    w("            if (active && (a.Mode == ModeHip || e0 <= a.StartPos + t0 + 15))")
    w("            {")
    for j in range(8):
        w(f"                float s{j}0 = 0f, s{j}1 = 0f, s{j}2 = 0f, s{j}3 = 0f;")
    for kk in range(ks):
        for j in range(8):
            w(f"                Mma.MmaF16(ref s{j}0, ref s{j}1, ref s{j}2, ref s{j}3, q{kk}a, q{kk}b, q{kk}c, q{kk}d, ks[({8*j} + g) * KStride + {8*kk} + t], ks[({8*j} + g) * KStride + {8*kk+4} + t]);")
    w("                // masks (HIP.md §3; dense: the causal mask) on every column; scores of hidden keys become −∞")
    for j in range(8):
        w(f"                int ca{j} = codes[{8*j} + 2 * t], cb{j} = codes[{8*j+1} + 2 * t];")
        w(f"                s{j}0 = Visible(ca{j}, pos0, ws0) ? s{j}0 : float.NegativeInfinity; s{j}1 = Visible(cb{j}, pos0, ws0) ? s{j}1 : float.NegativeInfinity;")
        w(f"                s{j}2 = Visible(ca{j}, pos1, ws1) ? s{j}2 : float.NegativeInfinity; s{j}3 = Visible(cb{j}, pos1, ws1) ? s{j}3 : float.NegativeInfinity;")
    w("                // online softmax: the row max over the quad's lanes, then probabilities and rescaling")
    w("                float x0 = " + max_chain([f"s{j}0" for j in range(8)] + [f"s{j}1" for j in range(8)]) + ";")
    w("                float x1 = " + max_chain([f"s{j}2" for j in range(8)] + [f"s{j}3" for j in range(8)]) + ";")
    w("                x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 1)); x0 = MathF.Max(x0, Warp.ShuffleXor(x0, 2));")
    w("                x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 1)); x1 = MathF.Max(x1, Warp.ShuffleXor(x1, 2));")
    w("                float n0 = MathF.Max(m0, x0), n1 = MathF.Max(m1, x1);")
    w("                float r0 = n0 == float.NegativeInfinity ? 0f : n0, r1 = n1 == float.NegativeInfinity ? 0f : n1;   // all hidden: p = 0")
    w("                float f0 = MathF.Exp(m0 - r0), f1 = MathF.Exp(m1 - r1);")
    w("                m0 = n0; m1 = n1;")
    for j in range(8):
        w(f"                s{j}0 = MathF.Exp(s{j}0 - r0); s{j}1 = MathF.Exp(s{j}1 - r0); s{j}2 = MathF.Exp(s{j}2 - r1); s{j}3 = MathF.Exp(s{j}3 - r1);")
    w("                l0 = l0 * f0 + " + " + ".join([f"s{j}0 + s{j}1" for j in range(8)]) + ";")
    w("                l1 = l1 * f1 + " + " + ".join([f"s{j}2 + s{j}3" for j in range(8)]) + ";")
    for n in range(on):
        w(f"                o{n}0 *= f0; o{n}1 *= f0; o{n}2 *= f1; o{n}3 *= f1;")
    w("                // O += P·V: P's accumulator fragments are A fragments of the next mma (keys 16kk .. 16kk + 15)")
    for kk in range(4):
        j0, j1 = 2 * kk, 2 * kk + 1
        w(f"                uint p{kk}a = Mma.PackHalf2(s{j0}0, s{j0}1), p{kk}b = Mma.PackHalf2(s{j0}2, s{j0}3), p{kk}c = Mma.PackHalf2(s{j1}0, s{j1}1), p{kk}d = Mma.PackHalf2(s{j1}2, s{j1}3);")
    for kk in range(4):
        for n in range(on):
            w(f"                Mma.MmaF16(ref o{n}0, ref o{n}1, ref o{n}2, ref o{n}3, p{kk}a, p{kk}b, p{kk}c, p{kk}d, vt[({8*n} + g) * VStride + {8*kk} + t], vt[({8*n} + g) * VStride + {8*kk+4} + t]);")
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
print("}")
