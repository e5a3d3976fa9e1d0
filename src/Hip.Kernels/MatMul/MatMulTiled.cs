using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// y = x · Wᵀ for many rows (prefill): 32 x 32 output tiles staged through shared memory, 16 x 16 threads computing
/// 2 x 2 outputs each, float32 accumulation. Same function as <see cref="MatVec.Reference"/>.
/// </summary>
public static class MatMulTiled
{
    public const int Tile = 32;
    public const int Threads = 16;          // per side: a group is Threads x Threads
    private const int Padded = Tile + 1;    // avoids shared-memory bank conflicts on column reads

    // x: [rows, n]   w: [m, n]   y: [rows, yStride], the m outputs at columns yColumn..yColumn+m (a slice of a wider
    // output when w is a chunk of dequantized rows; yStride = m, yColumn = 0 otherwise).
    // Launch: grid (ceil(m / Tile), ceil(rows / Tile)), group (Threads, Threads).
    public static void Kernel<TWeight, TReader>(ArrayView<float> x, ArrayView<TWeight> w, ArrayView<float> y, int rows, int n, int m, int yStride, int yColumn)
        where TWeight : unmanaged
        where TReader : struct, IWeightReader<TWeight>
    {
        var xs = SharedMemory.Allocate<float>(Tile * Padded);   // [Tile rows of x][k]
        var ws = SharedMemory.Allocate<float>(Tile * Padded);   // [Tile rows of w][k]
        var reader = default(TReader);
        int tx = Group.IdxX, ty = Group.IdxY;
        int tid = ty * Threads + tx;
        int row0 = Grid.IdxY * Tile, col0 = Grid.IdxX * Tile;
        float c00 = 0f, c01 = 0f, c10 = 0f, c11 = 0f;

        for (int k0 = 0; k0 < n; k0 += Tile)
        {
            // each of the 256 threads stages 4 elements of each tile
            for (int e = tid; e < Tile * Tile; e += Threads * Threads)
            {
                int rr = e / Tile, kk = e % Tile;
                int gx = row0 + rr, gw = col0 + rr, gk = k0 + kk;
                xs[rr * Padded + kk] = gx < rows && gk < n ? x[(long)gx * n + gk] : 0f;
                ws[rr * Padded + kk] = gw < m && gk < n ? reader.Read(w[(long)gw * n + gk]) : 0f;
            }
            Group.Barrier();
            int a0 = ty * Padded, a1 = (ty + Threads) * Padded;
            int b0 = tx * Padded, b1 = (tx + Threads) * Padded;
            for (int kk = 0; kk < Tile; kk++)
            {
                float x0 = xs[a0 + kk], x1 = xs[a1 + kk];
                float w0 = ws[b0 + kk], w1 = ws[b1 + kk];
                c00 += x0 * w0;
                c01 += x0 * w1;
                c10 += x1 * w0;
                c11 += x1 * w1;
            }
            Group.Barrier();
        }

        Store(y, rows, m, yStride, yColumn, row0 + ty, col0 + tx, c00);
        Store(y, rows, m, yStride, yColumn, row0 + ty, col0 + tx + Threads, c01);
        Store(y, rows, m, yStride, yColumn, row0 + ty + Threads, col0 + tx, c10);
        Store(y, rows, m, yStride, yColumn, row0 + ty + Threads, col0 + tx + Threads, c11);
    }

    private static void Store(ArrayView<float> y, int rows, int m, int yStride, int yColumn, int r, int c, float value)
    {
        if (r < rows && c < m)
            y[(long)r * yStride + yColumn + c] = value;
    }
}
