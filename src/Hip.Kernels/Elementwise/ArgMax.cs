using ILGPU;

namespace Hip.Kernels;

/// <summary>Index of the largest value of a row (lower index on ties), written to a device slot: greedy decoding.</summary>
public static class ArgMax
{
    // values: [n]   result: [slots]; one group, any multiple of the warp size.
    public static void Kernel(ArrayView<float> values, ArrayView<int> result, int n, int slot)
    {
        var bestValues = SharedMemory.Allocate<float>(Reductions.MaxWarps);
        var bestIndices = SharedMemory.Allocate<int>(Reductions.MaxWarps);
        float best = float.NegativeInfinity;
        int bestIndex = int.MaxValue;
        for (int i = Group.IdxX; i < n; i += Group.DimX)
            Reductions.ArgMaxMerge(ref best, ref bestIndex, values[i], i);
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
            Reductions.ArgMaxMerge(ref best, ref bestIndex, values[i], i);
        result[slot] = bestIndex;
    }

    public static int Reference(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }
}
