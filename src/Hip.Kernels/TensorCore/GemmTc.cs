using System.Runtime.CompilerServices;
using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Tensor-core GEMM y = x · Wᵀ with half-precision inputs (fp16 or bf16 bits) and float32 accumulation and output,
/// built on <see cref="Mma"/> (mma.sync m16n8k16). One group computes a 128 × 128 tile of y; it walks k in steps of 32
/// through two shared-memory stages (register-staged double buffering: the next tile's global loads, 16 bytes each, are
/// in flight while the warps multiply the current one; one barrier per step). Two layouts of the warps over the tile:
/// <list type="bullet">
/// <item>wide (<see cref="KernelF16"/>, <see cref="KernelBF16"/>; the default): 4 warps as 2 × 2, each 64 × 64 =
/// 4 × 8 mma tiles, 128 accumulators a thread; a third less shared-memory traffic per mma than narrow.</item>
/// <item>narrow (<see cref="KernelNarrowF16"/>, <see cref="KernelNarrowBF16"/>): 8 warps as 2 × 4, each 64 × 32 =
/// 4 × 4 mma tiles, 64 accumulators a thread; more warps to hide latency.</item>
/// </list>
/// Accumulators and fragments are written out by hand (by GemmTc.gen.py beside this file): ILGPU 1.5.3 does not
/// unroll, and a register array indexed in a loop would spill. Shared rows are padded from 16 to 20 words so a warp's
/// fragment loads hit 32 different banks. Edges: rows and m of any size (loads zero-filled, stores guarded); k a
/// multiple of 16 (a last half step is zero-filled). x and W must start 16-byte aligned (whole buffers or row-aligned
/// sub-views with k a multiple of 8).
/// <para>Legend: x activations [rows, k], w weights [m, k] (our row-major weight layout), y output [rows, m];
/// g = lane / 4, t = lane % 4 as in <see cref="Mma"/>; mi, ni a warp's 16-row and 8-column mma tiles.</para>
/// </summary>
public static class GemmTc
{
    /// <summary>Rows of y one group computes.</summary>
    public const int TileRows = 128;
    /// <summary>Columns of y one group computes.</summary>
    public const int TileCols = 128;
    /// <summary>k per shared-memory stage.</summary>
    public const int TileK = 32;
    /// <summary>Threads per group of the wide layout (4 warps).</summary>
    public const int WideGroupSize = 128;
    /// <summary>Threads per group of the narrow layout (8 warps).</summary>
    public const int NarrowGroupSize = 256;
    /// <summary>k must be a multiple of this.</summary>
    public const int KMultiple = 16;

    private const int RowWords = TileK / 2 + 4;          // one tile row in shared memory: 16 words of data, 4 of padding
    private const int StageWords = TileRows * RowWords;  // one stage of one operand: 2560 words (10 KiB)

    /// <summary>The launch for y [rows, m]: a grid of (⌈m / 128⌉, ⌈rows / 128⌉) groups of the layout's size.</summary>
    public static KernelConfig Launch(int rows, int m, bool wide = true) =>
        new(new Index2D((m + TileCols - 1) / TileCols, (rows + TileRows - 1) / TileRows),
            new Index2D(wide ? WideGroupSize : NarrowGroupSize, 1));

    /// <summary>fp16 x [rows, k] · fp16 W [m, k]ᵀ → y [rows, m], wide layout; launch with <see cref="Launch"/>.</summary>
    public static void KernelF16(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m) =>
        RunWide<MmaF16Op>(x, w, y, rows, k, m);

    /// <summary>bf16 x [rows, k] · bf16 W [m, k]ᵀ → y [rows, m], wide layout; launch with <see cref="Launch"/>.</summary>
    public static void KernelBF16(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m) =>
        RunWide<MmaBF16Op>(x, w, y, rows, k, m);

    /// <summary>fp16, narrow layout; launch with <see cref="Launch"/> (wide false).</summary>
    public static void KernelNarrowF16(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m) =>
        RunNarrow<MmaF16Op>(x, w, y, rows, k, m);

    /// <summary>bf16, narrow layout; launch with <see cref="Launch"/> (wide false).</summary>
    public static void KernelNarrowBF16(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m) =>
        RunNarrow<MmaBF16Op>(x, w, y, rows, k, m);

    private static void RunWide<TOp>(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m)
        where TOp : struct, IMmaOp
    {
        var op = default(TOp);
        var sA = SharedMemory.Allocate<uint>(2 * StageWords);   // x tile [2 stages][128 rows][20 words]
        var sB = SharedMemory.Allocate<uint>(2 * StageWords);   // W tile [2 stages][128 rows][20 words]
        var x16 = x.Cast<Bits128>();   // 8 halves a chunk
        var w16 = w.Cast<Bits128>();
        int tid = Group.IdxX, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
        int rowBase = Grid.IdxY * TileRows, colBase = Grid.IdxX * TileCols;
        int warpRow = warp / 2, warpCol = warp % 2;   // warps 2 (rows) × 2 (columns), each 64 × 64
        int chunks = k >> 3, steps = (k + TileK - 1) / TileK;

        // each thread moves chunk q (8 halves) of tile rows r + 32·i, for x and for W
        int r = tid >> 2, q = tid & 3, store = r * RowWords + q * 4;
        int xRow = rowBase + r, wRow = colBase + r;

        var x0 = LoadChunk(x16, xRow + 0, rows, chunks, q);
        var x1 = LoadChunk(x16, xRow + 32, rows, chunks, q);
        var x2 = LoadChunk(x16, xRow + 64, rows, chunks, q);
        var x3 = LoadChunk(x16, xRow + 96, rows, chunks, q);
        var w0 = LoadChunk(w16, wRow + 0, m, chunks, q);
        var w1 = LoadChunk(w16, wRow + 32, m, chunks, q);
        var w2 = LoadChunk(w16, wRow + 64, m, chunks, q);
        var w3 = LoadChunk(w16, wRow + 96, m, chunks, q);
        StoreChunk(sA, store, x0);
        StoreChunk(sB, store, w0);
        StoreChunk(sA, store + 640, x1);
        StoreChunk(sB, store + 640, w1);
        StoreChunk(sA, store + 1280, x2);
        StoreChunk(sB, store + 1280, w2);
        StoreChunk(sA, store + 1920, x3);
        StoreChunk(sB, store + 1920, w3);
        Group.Barrier();
        float c00_0 = 0f, c00_1 = 0f, c00_2 = 0f, c00_3 = 0f, c01_0 = 0f, c01_1 = 0f, c01_2 = 0f, c01_3 = 0f, c02_0 = 0f, c02_1 = 0f, c02_2 = 0f, c02_3 = 0f, c03_0 = 0f, c03_1 = 0f, c03_2 = 0f, c03_3 = 0f, c04_0 = 0f, c04_1 = 0f, c04_2 = 0f, c04_3 = 0f, c05_0 = 0f, c05_1 = 0f, c05_2 = 0f, c05_3 = 0f, c06_0 = 0f, c06_1 = 0f, c06_2 = 0f, c06_3 = 0f, c07_0 = 0f, c07_1 = 0f, c07_2 = 0f, c07_3 = 0f;
        float c10_0 = 0f, c10_1 = 0f, c10_2 = 0f, c10_3 = 0f, c11_0 = 0f, c11_1 = 0f, c11_2 = 0f, c11_3 = 0f, c12_0 = 0f, c12_1 = 0f, c12_2 = 0f, c12_3 = 0f, c13_0 = 0f, c13_1 = 0f, c13_2 = 0f, c13_3 = 0f, c14_0 = 0f, c14_1 = 0f, c14_2 = 0f, c14_3 = 0f, c15_0 = 0f, c15_1 = 0f, c15_2 = 0f, c15_3 = 0f, c16_0 = 0f, c16_1 = 0f, c16_2 = 0f, c16_3 = 0f, c17_0 = 0f, c17_1 = 0f, c17_2 = 0f, c17_3 = 0f;
        float c20_0 = 0f, c20_1 = 0f, c20_2 = 0f, c20_3 = 0f, c21_0 = 0f, c21_1 = 0f, c21_2 = 0f, c21_3 = 0f, c22_0 = 0f, c22_1 = 0f, c22_2 = 0f, c22_3 = 0f, c23_0 = 0f, c23_1 = 0f, c23_2 = 0f, c23_3 = 0f, c24_0 = 0f, c24_1 = 0f, c24_2 = 0f, c24_3 = 0f, c25_0 = 0f, c25_1 = 0f, c25_2 = 0f, c25_3 = 0f, c26_0 = 0f, c26_1 = 0f, c26_2 = 0f, c26_3 = 0f, c27_0 = 0f, c27_1 = 0f, c27_2 = 0f, c27_3 = 0f;
        float c30_0 = 0f, c30_1 = 0f, c30_2 = 0f, c30_3 = 0f, c31_0 = 0f, c31_1 = 0f, c31_2 = 0f, c31_3 = 0f, c32_0 = 0f, c32_1 = 0f, c32_2 = 0f, c32_3 = 0f, c33_0 = 0f, c33_1 = 0f, c33_2 = 0f, c33_3 = 0f, c34_0 = 0f, c34_1 = 0f, c34_2 = 0f, c34_3 = 0f, c35_0 = 0f, c35_1 = 0f, c35_2 = 0f, c35_3 = 0f, c36_0 = 0f, c36_1 = 0f, c36_2 = 0f, c36_3 = 0f, c37_0 = 0f, c37_1 = 0f, c37_2 = 0f, c37_3 = 0f;

        // fragment offsets inside a stage: A rows warpRow·64 + g (+ mi·16, + 8), B rows warpCol·64 + g (+ ni·8); word t (+ 4)
        int aLane = (warpRow * 64 + g) * RowWords + t, bLane = (warpCol * 64 + g) * RowWords + t;
        for (int step = 0; step < steps; step++)
        {
            int stage = (step & 1) * StageWords;
            bool more = step + 1 < steps;
            if (more)
            {
                int next = (step + 1) * (TileK / 8) + q;
                x0 = LoadChunk(x16, xRow + 0, rows, chunks, next);
                x1 = LoadChunk(x16, xRow + 32, rows, chunks, next);
                x2 = LoadChunk(x16, xRow + 64, rows, chunks, next);
                x3 = LoadChunk(x16, xRow + 96, rows, chunks, next);
                w0 = LoadChunk(w16, wRow + 0, m, chunks, next);
                w1 = LoadChunk(w16, wRow + 32, m, chunks, next);
                w2 = LoadChunk(w16, wRow + 64, m, chunks, next);
                w3 = LoadChunk(w16, wRow + 96, m, chunks, next);
            }
            for (int half = 0; half < 2; half++)   // two k16 steps of the 32 in a stage
            {
                int aOff = stage + aLane + half * 8, bOff = stage + bLane + half * 8;
                uint a00 = sA[aOff], a01 = sA[aOff + 160], a02 = sA[aOff + 4], a03 = sA[aOff + 160 + 4];
                uint a10 = sA[aOff + 320], a11 = sA[aOff + 480], a12 = sA[aOff + 320 + 4], a13 = sA[aOff + 480 + 4];
                uint a20 = sA[aOff + 640], a21 = sA[aOff + 800], a22 = sA[aOff + 640 + 4], a23 = sA[aOff + 800 + 4];
                uint a30 = sA[aOff + 960], a31 = sA[aOff + 1120], a32 = sA[aOff + 960 + 4], a33 = sA[aOff + 1120 + 4];
                uint b00 = sB[bOff], b01 = sB[bOff + 4];
                uint b10 = sB[bOff + 160], b11 = sB[bOff + 160 + 4];
                uint b20 = sB[bOff + 320], b21 = sB[bOff + 320 + 4];
                uint b30 = sB[bOff + 480], b31 = sB[bOff + 480 + 4];
                uint b40 = sB[bOff + 640], b41 = sB[bOff + 640 + 4];
                uint b50 = sB[bOff + 800], b51 = sB[bOff + 800 + 4];
                uint b60 = sB[bOff + 960], b61 = sB[bOff + 960 + 4];
                uint b70 = sB[bOff + 1120], b71 = sB[bOff + 1120 + 4];
                op.Mma(ref c00_0, ref c00_1, ref c00_2, ref c00_3, a00, a01, a02, a03, b00, b01);
                op.Mma(ref c01_0, ref c01_1, ref c01_2, ref c01_3, a00, a01, a02, a03, b10, b11);
                op.Mma(ref c02_0, ref c02_1, ref c02_2, ref c02_3, a00, a01, a02, a03, b20, b21);
                op.Mma(ref c03_0, ref c03_1, ref c03_2, ref c03_3, a00, a01, a02, a03, b30, b31);
                op.Mma(ref c04_0, ref c04_1, ref c04_2, ref c04_3, a00, a01, a02, a03, b40, b41);
                op.Mma(ref c05_0, ref c05_1, ref c05_2, ref c05_3, a00, a01, a02, a03, b50, b51);
                op.Mma(ref c06_0, ref c06_1, ref c06_2, ref c06_3, a00, a01, a02, a03, b60, b61);
                op.Mma(ref c07_0, ref c07_1, ref c07_2, ref c07_3, a00, a01, a02, a03, b70, b71);
                op.Mma(ref c10_0, ref c10_1, ref c10_2, ref c10_3, a10, a11, a12, a13, b00, b01);
                op.Mma(ref c11_0, ref c11_1, ref c11_2, ref c11_3, a10, a11, a12, a13, b10, b11);
                op.Mma(ref c12_0, ref c12_1, ref c12_2, ref c12_3, a10, a11, a12, a13, b20, b21);
                op.Mma(ref c13_0, ref c13_1, ref c13_2, ref c13_3, a10, a11, a12, a13, b30, b31);
                op.Mma(ref c14_0, ref c14_1, ref c14_2, ref c14_3, a10, a11, a12, a13, b40, b41);
                op.Mma(ref c15_0, ref c15_1, ref c15_2, ref c15_3, a10, a11, a12, a13, b50, b51);
                op.Mma(ref c16_0, ref c16_1, ref c16_2, ref c16_3, a10, a11, a12, a13, b60, b61);
                op.Mma(ref c17_0, ref c17_1, ref c17_2, ref c17_3, a10, a11, a12, a13, b70, b71);
                op.Mma(ref c20_0, ref c20_1, ref c20_2, ref c20_3, a20, a21, a22, a23, b00, b01);
                op.Mma(ref c21_0, ref c21_1, ref c21_2, ref c21_3, a20, a21, a22, a23, b10, b11);
                op.Mma(ref c22_0, ref c22_1, ref c22_2, ref c22_3, a20, a21, a22, a23, b20, b21);
                op.Mma(ref c23_0, ref c23_1, ref c23_2, ref c23_3, a20, a21, a22, a23, b30, b31);
                op.Mma(ref c24_0, ref c24_1, ref c24_2, ref c24_3, a20, a21, a22, a23, b40, b41);
                op.Mma(ref c25_0, ref c25_1, ref c25_2, ref c25_3, a20, a21, a22, a23, b50, b51);
                op.Mma(ref c26_0, ref c26_1, ref c26_2, ref c26_3, a20, a21, a22, a23, b60, b61);
                op.Mma(ref c27_0, ref c27_1, ref c27_2, ref c27_3, a20, a21, a22, a23, b70, b71);
                op.Mma(ref c30_0, ref c30_1, ref c30_2, ref c30_3, a30, a31, a32, a33, b00, b01);
                op.Mma(ref c31_0, ref c31_1, ref c31_2, ref c31_3, a30, a31, a32, a33, b10, b11);
                op.Mma(ref c32_0, ref c32_1, ref c32_2, ref c32_3, a30, a31, a32, a33, b20, b21);
                op.Mma(ref c33_0, ref c33_1, ref c33_2, ref c33_3, a30, a31, a32, a33, b30, b31);
                op.Mma(ref c34_0, ref c34_1, ref c34_2, ref c34_3, a30, a31, a32, a33, b40, b41);
                op.Mma(ref c35_0, ref c35_1, ref c35_2, ref c35_3, a30, a31, a32, a33, b50, b51);
                op.Mma(ref c36_0, ref c36_1, ref c36_2, ref c36_3, a30, a31, a32, a33, b60, b61);
                op.Mma(ref c37_0, ref c37_1, ref c37_2, ref c37_3, a30, a31, a32, a33, b70, b71);
            }
            if (more)
            {
                int nextStage = StageWords - stage + store;
                StoreChunk(sA, nextStage, x0);
                StoreChunk(sB, nextStage, w0);
                StoreChunk(sA, nextStage + 640, x1);
                StoreChunk(sB, nextStage + 640, w1);
                StoreChunk(sA, nextStage + 1280, x2);
                StoreChunk(sB, nextStage + 1280, w2);
                StoreChunk(sA, nextStage + 1920, x3);
                StoreChunk(sB, nextStage + 1920, w3);
            }
            Group.Barrier();
        }

        // c0, c1: row g, columns 2t, 2t+1; c2, c3: row g + 8
        int outRow = rowBase + warpRow * 64 + g, outCol = colBase + warpCol * 64 + 2 * t;
        Store(y, outRow + 0, outCol + 0, rows, m, c00_0, c00_1);
        Store(y, outRow + 8, outCol + 0, rows, m, c00_2, c00_3);
        Store(y, outRow + 0, outCol + 8, rows, m, c01_0, c01_1);
        Store(y, outRow + 8, outCol + 8, rows, m, c01_2, c01_3);
        Store(y, outRow + 0, outCol + 16, rows, m, c02_0, c02_1);
        Store(y, outRow + 8, outCol + 16, rows, m, c02_2, c02_3);
        Store(y, outRow + 0, outCol + 24, rows, m, c03_0, c03_1);
        Store(y, outRow + 8, outCol + 24, rows, m, c03_2, c03_3);
        Store(y, outRow + 0, outCol + 32, rows, m, c04_0, c04_1);
        Store(y, outRow + 8, outCol + 32, rows, m, c04_2, c04_3);
        Store(y, outRow + 0, outCol + 40, rows, m, c05_0, c05_1);
        Store(y, outRow + 8, outCol + 40, rows, m, c05_2, c05_3);
        Store(y, outRow + 0, outCol + 48, rows, m, c06_0, c06_1);
        Store(y, outRow + 8, outCol + 48, rows, m, c06_2, c06_3);
        Store(y, outRow + 0, outCol + 56, rows, m, c07_0, c07_1);
        Store(y, outRow + 8, outCol + 56, rows, m, c07_2, c07_3);
        Store(y, outRow + 16, outCol + 0, rows, m, c10_0, c10_1);
        Store(y, outRow + 24, outCol + 0, rows, m, c10_2, c10_3);
        Store(y, outRow + 16, outCol + 8, rows, m, c11_0, c11_1);
        Store(y, outRow + 24, outCol + 8, rows, m, c11_2, c11_3);
        Store(y, outRow + 16, outCol + 16, rows, m, c12_0, c12_1);
        Store(y, outRow + 24, outCol + 16, rows, m, c12_2, c12_3);
        Store(y, outRow + 16, outCol + 24, rows, m, c13_0, c13_1);
        Store(y, outRow + 24, outCol + 24, rows, m, c13_2, c13_3);
        Store(y, outRow + 16, outCol + 32, rows, m, c14_0, c14_1);
        Store(y, outRow + 24, outCol + 32, rows, m, c14_2, c14_3);
        Store(y, outRow + 16, outCol + 40, rows, m, c15_0, c15_1);
        Store(y, outRow + 24, outCol + 40, rows, m, c15_2, c15_3);
        Store(y, outRow + 16, outCol + 48, rows, m, c16_0, c16_1);
        Store(y, outRow + 24, outCol + 48, rows, m, c16_2, c16_3);
        Store(y, outRow + 16, outCol + 56, rows, m, c17_0, c17_1);
        Store(y, outRow + 24, outCol + 56, rows, m, c17_2, c17_3);
        Store(y, outRow + 32, outCol + 0, rows, m, c20_0, c20_1);
        Store(y, outRow + 40, outCol + 0, rows, m, c20_2, c20_3);
        Store(y, outRow + 32, outCol + 8, rows, m, c21_0, c21_1);
        Store(y, outRow + 40, outCol + 8, rows, m, c21_2, c21_3);
        Store(y, outRow + 32, outCol + 16, rows, m, c22_0, c22_1);
        Store(y, outRow + 40, outCol + 16, rows, m, c22_2, c22_3);
        Store(y, outRow + 32, outCol + 24, rows, m, c23_0, c23_1);
        Store(y, outRow + 40, outCol + 24, rows, m, c23_2, c23_3);
        Store(y, outRow + 32, outCol + 32, rows, m, c24_0, c24_1);
        Store(y, outRow + 40, outCol + 32, rows, m, c24_2, c24_3);
        Store(y, outRow + 32, outCol + 40, rows, m, c25_0, c25_1);
        Store(y, outRow + 40, outCol + 40, rows, m, c25_2, c25_3);
        Store(y, outRow + 32, outCol + 48, rows, m, c26_0, c26_1);
        Store(y, outRow + 40, outCol + 48, rows, m, c26_2, c26_3);
        Store(y, outRow + 32, outCol + 56, rows, m, c27_0, c27_1);
        Store(y, outRow + 40, outCol + 56, rows, m, c27_2, c27_3);
        Store(y, outRow + 48, outCol + 0, rows, m, c30_0, c30_1);
        Store(y, outRow + 56, outCol + 0, rows, m, c30_2, c30_3);
        Store(y, outRow + 48, outCol + 8, rows, m, c31_0, c31_1);
        Store(y, outRow + 56, outCol + 8, rows, m, c31_2, c31_3);
        Store(y, outRow + 48, outCol + 16, rows, m, c32_0, c32_1);
        Store(y, outRow + 56, outCol + 16, rows, m, c32_2, c32_3);
        Store(y, outRow + 48, outCol + 24, rows, m, c33_0, c33_1);
        Store(y, outRow + 56, outCol + 24, rows, m, c33_2, c33_3);
        Store(y, outRow + 48, outCol + 32, rows, m, c34_0, c34_1);
        Store(y, outRow + 56, outCol + 32, rows, m, c34_2, c34_3);
        Store(y, outRow + 48, outCol + 40, rows, m, c35_0, c35_1);
        Store(y, outRow + 56, outCol + 40, rows, m, c35_2, c35_3);
        Store(y, outRow + 48, outCol + 48, rows, m, c36_0, c36_1);
        Store(y, outRow + 56, outCol + 48, rows, m, c36_2, c36_3);
        Store(y, outRow + 48, outCol + 56, rows, m, c37_0, c37_1);
        Store(y, outRow + 56, outCol + 56, rows, m, c37_2, c37_3);
    }

    private static void RunNarrow<TOp>(ArrayView<ushort> x, ArrayView<ushort> w, ArrayView<float> y, int rows, int k, int m)
        where TOp : struct, IMmaOp
    {
        var op = default(TOp);
        var sA = SharedMemory.Allocate<uint>(2 * StageWords);   // x tile [2 stages][128 rows][20 words]
        var sB = SharedMemory.Allocate<uint>(2 * StageWords);   // W tile [2 stages][128 rows][20 words]
        var x16 = x.Cast<Bits128>();   // 8 halves a chunk
        var w16 = w.Cast<Bits128>();
        int tid = Group.IdxX, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
        int rowBase = Grid.IdxY * TileRows, colBase = Grid.IdxX * TileCols;
        int warpRow = warp / 4, warpCol = warp % 4;   // warps 2 (rows) × 4 (columns), each 64 × 32
        int chunks = k >> 3, steps = (k + TileK - 1) / TileK;

        // each thread moves chunk q (8 halves) of tile rows r + 64·i, for x and for W
        int r = tid >> 2, q = tid & 3, store = r * RowWords + q * 4;
        int xRow = rowBase + r, wRow = colBase + r;

        var x0 = LoadChunk(x16, xRow + 0, rows, chunks, q);
        var x1 = LoadChunk(x16, xRow + 64, rows, chunks, q);
        var w0 = LoadChunk(w16, wRow + 0, m, chunks, q);
        var w1 = LoadChunk(w16, wRow + 64, m, chunks, q);
        StoreChunk(sA, store, x0);
        StoreChunk(sB, store, w0);
        StoreChunk(sA, store + 1280, x1);
        StoreChunk(sB, store + 1280, w1);
        Group.Barrier();
        float c00_0 = 0f, c00_1 = 0f, c00_2 = 0f, c00_3 = 0f, c01_0 = 0f, c01_1 = 0f, c01_2 = 0f, c01_3 = 0f, c02_0 = 0f, c02_1 = 0f, c02_2 = 0f, c02_3 = 0f, c03_0 = 0f, c03_1 = 0f, c03_2 = 0f, c03_3 = 0f, c10_0 = 0f, c10_1 = 0f, c10_2 = 0f, c10_3 = 0f, c11_0 = 0f, c11_1 = 0f, c11_2 = 0f, c11_3 = 0f, c12_0 = 0f, c12_1 = 0f, c12_2 = 0f, c12_3 = 0f, c13_0 = 0f, c13_1 = 0f, c13_2 = 0f, c13_3 = 0f;
        float c20_0 = 0f, c20_1 = 0f, c20_2 = 0f, c20_3 = 0f, c21_0 = 0f, c21_1 = 0f, c21_2 = 0f, c21_3 = 0f, c22_0 = 0f, c22_1 = 0f, c22_2 = 0f, c22_3 = 0f, c23_0 = 0f, c23_1 = 0f, c23_2 = 0f, c23_3 = 0f, c30_0 = 0f, c30_1 = 0f, c30_2 = 0f, c30_3 = 0f, c31_0 = 0f, c31_1 = 0f, c31_2 = 0f, c31_3 = 0f, c32_0 = 0f, c32_1 = 0f, c32_2 = 0f, c32_3 = 0f, c33_0 = 0f, c33_1 = 0f, c33_2 = 0f, c33_3 = 0f;

        // fragment offsets inside a stage: A rows warpRow·64 + g (+ mi·16, + 8), B rows warpCol·32 + g (+ ni·8); word t (+ 4)
        int aLane = (warpRow * 64 + g) * RowWords + t, bLane = (warpCol * 32 + g) * RowWords + t;
        for (int step = 0; step < steps; step++)
        {
            int stage = (step & 1) * StageWords;
            bool more = step + 1 < steps;
            if (more)
            {
                int next = (step + 1) * (TileK / 8) + q;
                x0 = LoadChunk(x16, xRow + 0, rows, chunks, next);
                x1 = LoadChunk(x16, xRow + 64, rows, chunks, next);
                w0 = LoadChunk(w16, wRow + 0, m, chunks, next);
                w1 = LoadChunk(w16, wRow + 64, m, chunks, next);
            }
            for (int half = 0; half < 2; half++)   // two k16 steps of the 32 in a stage
            {
                int aOff = stage + aLane + half * 8, bOff = stage + bLane + half * 8;
                uint a00 = sA[aOff], a01 = sA[aOff + 160], a02 = sA[aOff + 4], a03 = sA[aOff + 160 + 4];
                uint a10 = sA[aOff + 320], a11 = sA[aOff + 480], a12 = sA[aOff + 320 + 4], a13 = sA[aOff + 480 + 4];
                uint a20 = sA[aOff + 640], a21 = sA[aOff + 800], a22 = sA[aOff + 640 + 4], a23 = sA[aOff + 800 + 4];
                uint a30 = sA[aOff + 960], a31 = sA[aOff + 1120], a32 = sA[aOff + 960 + 4], a33 = sA[aOff + 1120 + 4];
                uint b00 = sB[bOff], b01 = sB[bOff + 4];
                uint b10 = sB[bOff + 160], b11 = sB[bOff + 160 + 4];
                uint b20 = sB[bOff + 320], b21 = sB[bOff + 320 + 4];
                uint b30 = sB[bOff + 480], b31 = sB[bOff + 480 + 4];
                op.Mma(ref c00_0, ref c00_1, ref c00_2, ref c00_3, a00, a01, a02, a03, b00, b01);
                op.Mma(ref c01_0, ref c01_1, ref c01_2, ref c01_3, a00, a01, a02, a03, b10, b11);
                op.Mma(ref c02_0, ref c02_1, ref c02_2, ref c02_3, a00, a01, a02, a03, b20, b21);
                op.Mma(ref c03_0, ref c03_1, ref c03_2, ref c03_3, a00, a01, a02, a03, b30, b31);
                op.Mma(ref c10_0, ref c10_1, ref c10_2, ref c10_3, a10, a11, a12, a13, b00, b01);
                op.Mma(ref c11_0, ref c11_1, ref c11_2, ref c11_3, a10, a11, a12, a13, b10, b11);
                op.Mma(ref c12_0, ref c12_1, ref c12_2, ref c12_3, a10, a11, a12, a13, b20, b21);
                op.Mma(ref c13_0, ref c13_1, ref c13_2, ref c13_3, a10, a11, a12, a13, b30, b31);
                op.Mma(ref c20_0, ref c20_1, ref c20_2, ref c20_3, a20, a21, a22, a23, b00, b01);
                op.Mma(ref c21_0, ref c21_1, ref c21_2, ref c21_3, a20, a21, a22, a23, b10, b11);
                op.Mma(ref c22_0, ref c22_1, ref c22_2, ref c22_3, a20, a21, a22, a23, b20, b21);
                op.Mma(ref c23_0, ref c23_1, ref c23_2, ref c23_3, a20, a21, a22, a23, b30, b31);
                op.Mma(ref c30_0, ref c30_1, ref c30_2, ref c30_3, a30, a31, a32, a33, b00, b01);
                op.Mma(ref c31_0, ref c31_1, ref c31_2, ref c31_3, a30, a31, a32, a33, b10, b11);
                op.Mma(ref c32_0, ref c32_1, ref c32_2, ref c32_3, a30, a31, a32, a33, b20, b21);
                op.Mma(ref c33_0, ref c33_1, ref c33_2, ref c33_3, a30, a31, a32, a33, b30, b31);
            }
            if (more)
            {
                int nextStage = StageWords - stage + store;
                StoreChunk(sA, nextStage, x0);
                StoreChunk(sB, nextStage, w0);
                StoreChunk(sA, nextStage + 1280, x1);
                StoreChunk(sB, nextStage + 1280, w1);
            }
            Group.Barrier();
        }

        // c0, c1: row g, columns 2t, 2t+1; c2, c3: row g + 8
        int outRow = rowBase + warpRow * 64 + g, outCol = colBase + warpCol * 32 + 2 * t;
        Store(y, outRow + 0, outCol + 0, rows, m, c00_0, c00_1);
        Store(y, outRow + 8, outCol + 0, rows, m, c00_2, c00_3);
        Store(y, outRow + 0, outCol + 8, rows, m, c01_0, c01_1);
        Store(y, outRow + 8, outCol + 8, rows, m, c01_2, c01_3);
        Store(y, outRow + 0, outCol + 16, rows, m, c02_0, c02_1);
        Store(y, outRow + 8, outCol + 16, rows, m, c02_2, c02_3);
        Store(y, outRow + 0, outCol + 24, rows, m, c03_0, c03_1);
        Store(y, outRow + 8, outCol + 24, rows, m, c03_2, c03_3);
        Store(y, outRow + 16, outCol + 0, rows, m, c10_0, c10_1);
        Store(y, outRow + 24, outCol + 0, rows, m, c10_2, c10_3);
        Store(y, outRow + 16, outCol + 8, rows, m, c11_0, c11_1);
        Store(y, outRow + 24, outCol + 8, rows, m, c11_2, c11_3);
        Store(y, outRow + 16, outCol + 16, rows, m, c12_0, c12_1);
        Store(y, outRow + 24, outCol + 16, rows, m, c12_2, c12_3);
        Store(y, outRow + 16, outCol + 24, rows, m, c13_0, c13_1);
        Store(y, outRow + 24, outCol + 24, rows, m, c13_2, c13_3);
        Store(y, outRow + 32, outCol + 0, rows, m, c20_0, c20_1);
        Store(y, outRow + 40, outCol + 0, rows, m, c20_2, c20_3);
        Store(y, outRow + 32, outCol + 8, rows, m, c21_0, c21_1);
        Store(y, outRow + 40, outCol + 8, rows, m, c21_2, c21_3);
        Store(y, outRow + 32, outCol + 16, rows, m, c22_0, c22_1);
        Store(y, outRow + 40, outCol + 16, rows, m, c22_2, c22_3);
        Store(y, outRow + 32, outCol + 24, rows, m, c23_0, c23_1);
        Store(y, outRow + 40, outCol + 24, rows, m, c23_2, c23_3);
        Store(y, outRow + 48, outCol + 0, rows, m, c30_0, c30_1);
        Store(y, outRow + 56, outCol + 0, rows, m, c30_2, c30_3);
        Store(y, outRow + 48, outCol + 8, rows, m, c31_0, c31_1);
        Store(y, outRow + 56, outCol + 8, rows, m, c31_2, c31_3);
        Store(y, outRow + 48, outCol + 16, rows, m, c32_0, c32_1);
        Store(y, outRow + 56, outCol + 16, rows, m, c32_2, c32_3);
        Store(y, outRow + 48, outCol + 24, rows, m, c33_0, c33_1);
        Store(y, outRow + 56, outCol + 24, rows, m, c33_2, c33_3);
    }

    // chunk `chunk` (8 halves) of row `row`, zeros past the matrix
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Bits128 LoadChunk(ArrayView<Bits128> source, int row, int rowCount, int chunks, int chunk) =>
        row < rowCount && chunk < chunks ? source[(long)row * chunks + chunk] : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreChunk(ArrayView<uint> shared, int offset, Bits128 value)
    {
        shared[offset] = value.X;
        shared[offset + 1] = value.Y;
        shared[offset + 2] = value.Z;
        shared[offset + 3] = value.W;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ArrayView<float> y, int row, int col, int rows, int m, float v0, float v1)
    {
        if (row >= rows)
            return;
        long offset = (long)row * m + col;
        if (col < m)
            y[offset] = v0;
        if (col + 1 < m)
            y[offset + 1] = v1;
    }

    /// <summary>
    /// Reference: y[r, j] = Σ_i x[r, i] · w[j, i] in float64 over the half values (fp16 or bf16 bits), rounded to float.
    /// x: [rows, k]   w: [m, k]   y: [rows, m].
    /// </summary>
    public static void Reference(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> w, Span<float> y, int rows, int k, int m, bool bf16)
    {
        var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
        var wf = new double[(long)m * k];
        for (int i = 0; i < wf.Length; i++)
            wf[i] = WeightBits.ToFloat(w[i], format);
        var xr = new double[k];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < k; i++)
                xr[i] = WeightBits.ToFloat(x[r * k + i], format);
            for (int j = 0; j < m; j++)
            {
                double sum = 0;
                for (int i = 0; i < k; i++)
                    sum += xr[i] * wf[(long)j * k + i];
                y[r * m + j] = (float)sum;
            }
        }
    }
}
