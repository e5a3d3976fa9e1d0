using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Index of the largest value of a row (lower index on ties), written to a device slot: greedy decoding. NaN ranks as
/// +∞ (NaN never compares greater, so without that rule a NaN row would leave no winner), hence the result is always
/// in [0, n) for n ≥ 1: a row of NaN or -∞ gives 0, and a row holding NaN or +∞ gives the first such index. The caller
/// reads the value at the returned index to tell a usable winner from a non-finite row.
/// </summary>
public static class ArgMax
{
    /// <summary>The ranking key: NaN counts as +∞, every other value as itself.</summary>
    private static float Key(float value) => float.IsNaN(value) ? float.PositiveInfinity : value;

    // values: [n]   result: [slots]; one group, any multiple of the warp size.
    public static void Kernel(ArrayView<float> values, ArrayView<int> result, int n, int slot)
    {
        var bestValues = SharedMemory.Allocate<float>(Reductions.MaxWarps);
        var bestIndices = SharedMemory.Allocate<int>(Reductions.MaxWarps);
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        int stride = Group.DimX, i = Group.IdxX;
        for (; i + 7 * stride < n; i += 8 * stride)   // eight loads in flight before the compares (latency bound)
        {
            float v0 = values[i], v1 = values[i + stride], v2 = values[i + 2 * stride], v3 = values[i + 3 * stride];
            float v4 = values[i + 4 * stride], v5 = values[i + 5 * stride], v6 = values[i + 6 * stride], v7 = values[i + 7 * stride];
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v0), i);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v1), i + stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v2), i + 2 * stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v3), i + 3 * stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v4), i + 4 * stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v5), i + 5 * stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v6), i + 6 * stride);
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(v7), i + 7 * stride);
        }
        for (; i < n; i += stride)
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(values[i]), i);
        Reductions.WarpArgMax(ref best, ref bestIndex);
        if (Warp.LaneIdx == 0)
        {
            bestValues[Warp.WarpIdx] = best;
            bestIndices[Warp.WarpIdx] = bestIndex;
        }
        Group.Barrier();
        if (Warp.WarpIdx == 0)
        {
            int warps = Group.DimX / Warp.WarpSize;
            best = Warp.LaneIdx < warps ? bestValues[Warp.LaneIdx] : float.NegativeInfinity;
            bestIndex = Warp.LaneIdx < warps ? bestIndices[Warp.LaneIdx] : int.MaxValue;
            Reductions.WarpArgMax(ref best, ref bestIndex);
            if (Warp.LaneIdx == 0)
                result[slot] = bestIndex;
        }
    }

    // A single thread scans the row: the CPU accelerator's variant.
    public static void PerThreadKernel(Index1D index, ArrayView<float> values, ArrayView<int> result, int n, int slot)
    {
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        for (int i = 0; i < n; i++)
            Reductions.ArgMaxMerge(ref best, ref bestIndex, Key(values[i]), i);
        result[slot] = bestIndex;
    }

    /// <summary>The same ranking on the host: first index of the largest value, NaN as +∞; 0 for an empty row.</summary>
    public static int Reference(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (Key(values[i]) > Key(values[best]))
                best = i;
        return best;
    }
}
