using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Combines the split partials of one attention row (flash decoding): o = Σ_s e^{m_s − M} acc_s / Σ_s e^{m_s − M} l_s with
/// M = max_s m_s; a split with m_s = −∞ saw no key and counts nothing. One warp per row: lanes read the splits' maxima
/// and sums in parallel (32 splits a pass) and own head dimensions lane + 32k; the accumulator rows are read four
/// splits at a time, so a row costs a few load latencies instead of three per split. headDim ≤ 128.
/// </summary>
internal static class SplitMerge
{
    /// <summary>Where the partials of a row live: split s's max at MaxBase + s·ScalarStride (its sum likewise), its dimension i at AccBase + s·AccStride + i.</summary>
    public struct Layout
    {
        public long MaxBase, SumBase, AccBase, ScalarStride, AccStride;
    }

    public static void MergeRow(ArrayView<float> maxes, ArrayView<float> sums, ArrayView<float> accs, Layout at, int splits, int headDim,
        ArrayView<float> o, long oBase)
    {
        int lane = Warp.LaneIdx;
        float mx = float.NegativeInfinity;
        for (int s = lane; s < splits; s += Warp.WarpSize)
            mx = MathF.Max(mx, maxes[at.MaxBase + s * at.ScalarStride]);
        mx = Reductions.WarpMax(mx);
        float l = 0f;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        for (int s0 = 0; s0 < splits; s0 += Warp.WarpSize)
        {
            int s = s0 + lane;
            float weight = 0f;
            if (s < splits)
            {
                float ms = maxes[at.MaxBase + s * at.ScalarStride];
                weight = ms == float.NegativeInfinity ? 0f : MathF.Exp(ms - mx);
                l += weight * sums[at.SumBase + s * at.ScalarStride];
            }
            int count = IntrinsicMath.Min(Warp.WarpSize, splits - s0);
            for (int j = 0; j < count; j += 4)
            {
                float w0 = Warp.Shuffle(weight, j), w1 = Warp.Shuffle(weight, j + 1), w2 = Warp.Shuffle(weight, j + 2), w3 = Warp.Shuffle(weight, j + 3);
                // splits past the end have weight 0; their loads read the last split instead (finite) to stay in range
                long r0 = at.AccBase + (s0 + j) * at.AccStride;
                long r1 = at.AccBase + IntrinsicMath.Min(s0 + j + 1, splits - 1) * at.AccStride;
                long r2 = at.AccBase + IntrinsicMath.Min(s0 + j + 2, splits - 1) * at.AccStride;
                long r3 = at.AccBase + IntrinsicMath.Min(s0 + j + 3, splits - 1) * at.AccStride;
                a0 = Add(a0, accs, lane, headDim, r0, r1, r2, r3, w0, w1, w2, w3);
                a1 = Add(a1, accs, lane + 32, headDim, r0, r1, r2, r3, w0, w1, w2, w3);
                a2 = Add(a2, accs, lane + 64, headDim, r0, r1, r2, r3, w0, w1, w2, w3);
                a3 = Add(a3, accs, lane + 96, headDim, r0, r1, r2, r3, w0, w1, w2, w3);
            }
        }
        l = Reductions.WarpSum(l);
        float inv = l > 0f ? 1f / l : 0f;
        if (lane < headDim) o[oBase + lane] = a0 * inv;
        if (lane + 32 < headDim) o[oBase + lane + 32] = a1 * inv;
        if (lane + 64 < headDim) o[oBase + lane + 64] = a2 * inv;
        if (lane + 96 < headDim) o[oBase + lane + 96] = a3 * inv;
    }

    private static float Add(float a, ArrayView<float> accs, int d, int headDim, long r0, long r1, long r2, long r3,
        float w0, float w1, float w2, float w3) =>
        d < headDim ? a + w0 * accs[r0 + d] + w1 * accs[r1 + d] + w2 * accs[r2 + d] + w3 * accs[r3 + d] : a;
}
