"""Writes the two hand-unrolled kernel bodies of GemmTc.cs (RunWide, RunNarrow) in place: python3 GemmTc.gen.py.

ILGPU 1.5.3 does not unroll loops, so every accumulator, fragment and load is a named local; this script spells them out.
"""
import re
def kernel(name, WM, WN, MI, NI):
    # WM x WN warps, each MI x NI mma tiles (16 x 8); tile rows = WM*MI*16, tile cols = WN*NI*8
    threads = WM*WN*32
    TR = WM*MI*16; TC = WN*NI*8
    assert TR == 128 and TC == 128
    per = 512 // threads   # chunks per thread per operand
    rstep = threads // 4
    L=[]
    w=L.append
    acc=[f"c{mi}{ni}_{j}" for mi in range(MI) for ni in range(NI) for j in range(4)]
    w(f'''    private static void {name}<TOp>(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m)
        where TOp : struct, IMmaOp
    {{
        var op = default(TOp);
        var sA = SharedMemory.Allocate<uint>(2 * StageWords);   // x tile [2 stages][128 rows][20 words]
        var sB = SharedMemory.Allocate<uint>(2 * StageWords);   // W tile [2 stages][128 rows][20 words]
        var x16 = x.Cast<Bits128>();   // 8 halves a chunk
        var w16 = w.Cast<Bits128>();
        int tid = Group.IdxX, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
        int rowBase = Grid.IdxY * TileRows, colBase = Grid.IdxX * TileCols;
        int warpRow = warp / {WN}, warpCol = warp % {WN};   // warps {WM} (rows) × {WN} (columns), each {MI*16} × {NI*8}
        int chunks = k >> 3, steps = (k + TileK - 1) / TileK;

        // each thread moves chunk q (8 halves) of tile rows r + {rstep}·i, for x and for W
        int r = tid >> 2, q = tid & 3, store = r * RowWords + q * 4;
        int xRow = rowBase + r, wRow = colBase + r;
''')
    for i in range(per):
        w(f"        var x{i} = LoadChunk(x16, xRow + {i*rstep}, rows, chunks, q);")
    for i in range(per):
        w(f"        var w{i} = LoadChunk(w16, wRow + {i*rstep}, m, chunks, q);")
    for i in range(per):
        off = f" + {i*rstep*20}" if i else ""
        w(f"        StoreChunk(sA, store{off}, x{i});")
        w(f"        StoreChunk(sB, store{off}, w{i});")
    w("        Group.Barrier();")
    for s in range(0,len(acc),32):
        w("        float " + ", ".join(f"{a} = 0f" for a in acc[s:s+32]) + ";")
    w(f'''
        // fragment offsets inside a stage: A rows warpRow·{MI*16} + g (+ mi·16, + 8), B rows warpCol·{NI*8} + g (+ ni·8); word t (+ 4)
        int aLane = (warpRow * {MI*16} + g) * RowWords + t, bLane = (warpCol * {NI*8} + g) * RowWords + t;
        for (int step = 0; step < steps; step++)
        {{
            int stage = (step & 1) * StageWords;
            bool more = step + 1 < steps;
            if (more)
            {{
                int next = (step + 1) * (TileK / 8) + q;''')
    for i in range(per):
        w(f"                x{i} = LoadChunk(x16, xRow + {i*rstep}, rows, chunks, next);")
    for i in range(per):
        w(f"                w{i} = LoadChunk(w16, wRow + {i*rstep}, m, chunks, next);")
    w('''            }
            for (int half = 0; half < 2; half++)   // two k16 steps of the 32 in a stage
            {
                int aOff = stage + aLane + half * 8, bOff = stage + bLane + half * 8;''')
    for mi in range(MI):
        base=f"aOff + {mi*16*20}" if mi else "aOff"
        hb=f"aOff + {(mi*16+8)*20}"
        w(f"                uint a{mi}0 = sA[{base}], a{mi}1 = sA[{hb}], a{mi}2 = sA[{base} + 4], a{mi}3 = sA[{hb} + 4];")
    for ni in range(NI):
        base=f"bOff + {ni*8*20}" if ni else "bOff"
        w(f"                uint b{ni}0 = sB[{base}], b{ni}1 = sB[{base} + 4];")
    for mi in range(MI):
        for ni in range(NI):
            c=", ".join(f"ref c{mi}{ni}_{j}" for j in range(4))
            w(f"                op.Mma({c}, a{mi}0, a{mi}1, a{mi}2, a{mi}3, b{ni}0, b{ni}1);")
    w('''            }
            if (more)
            {
                int nextStage = StageWords - stage + store;''')
    for i in range(per):
        off = f" + {i*rstep*20}" if i else ""
        w(f"                StoreChunk(sA, nextStage{off}, x{i});")
        w(f"                StoreChunk(sB, nextStage{off}, w{i});")
    w(f'''            }}
            Group.Barrier();
        }}

        // c0, c1: row g, columns 2t, 2t+1; c2, c3: row g + 8
        int outRow = rowBase + warpRow * {MI*16} + g, outCol = colBase + warpCol * {NI*8} + 2 * t;''')
    for mi in range(MI):
        for ni in range(NI):
            w(f"        Store(y, outRow + {mi*16}, outCol + {ni*8}, rows, m, c{mi}{ni}_0, c{mi}{ni}_1);")
            w(f"        Store(y, outRow + {mi*16+8}, outCol + {ni*8}, rows, m, c{mi}{ni}_2, c{mi}{ni}_3);")
    w("    }")
    return "\n".join(L)

import os
p = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'GemmTc.cs')
s=open(p).read()
start=s.index("    private static void RunWide<TOp>")
end=s.index("    // chunk `chunk` (8 halves)")
body = kernel("RunWide", 2, 2, 4, 8) + "\n\n" + kernel("RunNarrow", 2, 4, 4, 4) + "\n\n"
s=s[:start]+body+s[end:]
open(p,'w').write(s)
