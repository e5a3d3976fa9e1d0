using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Up to three weight matrices of one block type that a decode mat-vec multiplies with the same x in one launch (q, k
/// and v; gate and up): warp o of the launch computes row o of the concatenated rows [W0; W1; W2]. Unused entries have
/// M = 0. One launch instead of three keeps the small k/v matrices from running alone on a mostly idle device.
/// </summary>
internal struct MatVecTargets
{
    public ArrayView<UInt4> Q0, Q1, Q2;   // quant planes
    public ArrayView<uint> S0, S1, S2;    // scale planes
    public ArrayView<float> Y0, Y1, Y2;   // outputs [rows, M_i]
    public int M0, M1, M2;                // rows of each matrix

    /// <summary>Rows of all the matrices together (the launch's warps per x row).</summary>
    public readonly int Total => M0 + M1 + M2;

    /// <summary>The matrix that global row o falls in: its planes and output, and o's row inside it (local) and its row count (m).</summary>
    public readonly void Select(int o, out ArrayView<UInt4> q, out ArrayView<uint> s, out ArrayView<float> y, out int local, out int m)
    {
        if (o < M0)
        {
            q = Q0; s = S0; y = Y0; local = o; m = M0;
        }
        else if (o < M0 + M1)
        {
            q = Q1; s = S1; y = Y1; local = o - M0; m = M1;
        }
        else
        {
            q = Q2; s = S2; y = Y2; local = o - M0 - M1; m = M2;
        }
    }

    /// <summary>One matrix.</summary>
    public static MatVecTargets One(ArrayView<UInt4> q, ArrayView<uint> s, ArrayView<float> y, int m) =>
        new() { Q0 = q, S0 = s, Y0 = y, M0 = m, Q1 = q, S1 = s, Y1 = y, Q2 = q, S2 = s, Y2 = y };
}
