using ILGPU;

namespace Hip.Kernels;

/// <summary>Warp and group reductions used inside kernels (shuffles with a full mask: call them in warp-uniform flow).</summary>
public static class Reductions
{
    /// <summary>Most warps a group may have: groups are at most 1024 threads of 32-lane warps.</summary>
    public const int MaxWarps = 32;

    public static float WarpSum(float v)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            v += Warp.ShuffleXor(v, offset);
        return v;
    }

    public static float WarpMax(float v)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            v = MathF.Max(v, Warp.ShuffleXor(v, offset));
        return v;
    }

    /// <summary>Sum over the whole group; every thread gets the result. Contains barriers: call from all threads.</summary>
    public static float GroupSum(float v)
    {
        var partial = SharedMemory.Allocate<float>(MaxWarps);
        v = WarpSum(v);
        if (Warp.LaneIdx == 0)
            partial[Warp.WarpIdx] = v;
        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        float total = Warp.LaneIdx < warps ? partial[Warp.LaneIdx] : 0f;
        total = WarpSum(total);
        Group.Barrier();
        return total;
    }

    /// <summary>The larger (value, index) pair; on equal values the lower index wins.</summary>
    public static void ArgMaxMerge(ref float value, ref int index, float otherValue, int otherIndex)
    {
        if (otherValue > value || (otherValue == value && otherIndex < index))
        {
            value = otherValue;
            index = otherIndex;
        }
    }

    public static void WarpArgMax(ref float value, ref int index)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            float v = Warp.ShuffleXor(value, offset);
            int i = Warp.ShuffleXor(index, offset);
            ArgMaxMerge(ref value, ref index, v, i);
        }
    }
}
