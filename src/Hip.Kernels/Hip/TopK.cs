using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Top-k of a short row held in shared memory, chosen by one group without sorting (docs/hip.md, mask estimation: the per-iteration
/// sort is the mask kernel's hot spot). Each candidate's rank is counted against all others, then the k best are
/// compacted in index order by a group prefix sum. Order: higher key first; on equal keys the lower index wins.
/// </summary>
public static class TopK
{
    /// <summary>The key of an empty candidate: below every score.</summary>
    public const int EmptyKey = int.MinValue;

    /// <summary>An int whose order matches the float's (−0 and +0 map to the same key; −∞ stays above <see cref="EmptyKey"/>).</summary>
    public static int OrderedKey(float score)
    {
        int bits = BitConverter.SingleToInt32Bits(score);
        if (bits == int.MinValue)
            bits = 0;                               // −0 → +0
        return bits >= 0 ? bits : bits ^ int.MaxValue;
    }

    /// <summary>
    /// In-group selection: slots[c] = the position of candidate c among the k best of keys[0, n) in index order, or −1.
    /// Call from every thread of the group; keys must be visible to all (barrier before); ends with a barrier.
    /// </summary>
    /// <param name="keys">[n] ordered keys (shared memory).</param>
    /// <param name="slots">[n] output (shared memory).</param>
    /// <param name="warpTotals">[Reductions.MaxWarps] scratch (shared memory).</param>
    /// <returns>The number selected, min(k, n), on every thread.</returns>
    public static int SelectInOrder(ArrayView<int> keys, ArrayView<int> slots, ArrayView<int> warpTotals, int n, int k)
    {
        int tid = Group.IdxX, threads = Group.DimX;
        // rank by counting: how many candidates beat c (rank < k ⇒ selected)
        for (int c = tid; c < n; c += threads)
        {
            int key = keys[c];
            int rank = 0;
            for (int j = 0; j < c; j++)
                rank += keys[j] >= key ? 1 : 0;
            for (int j = c + 1; j < n; j++)
                rank += keys[j] > key ? 1 : 0;
            slots[c] = rank < k ? 1 : 0;
        }
        Group.Barrier();
        return CompactInOrder(slots, warpTotals, n);
    }

    /// <summary>
    /// Turns 0/1 flags[0, n) into slot numbers in index order (−1 where 0). Every thread of the group; contiguous
    /// segments per thread, one group scan; ends with a barrier. Returns the number of ones on every thread.
    /// </summary>
    public static int CompactInOrder(ArrayView<int> flags, ArrayView<int> warpTotals, int n)
    {
        int tid = Group.IdxX, threads = Group.DimX;
        int per = (n + threads - 1) / threads;
        int begin = IntrinsicMath.Min(tid * per, n), end = IntrinsicMath.Min(begin + per, n);
        int ones = 0;
        for (int c = begin; c < end; c++)
            ones += flags[c];
        int offset = GroupExclusiveScan(ones, warpTotals, out int total);
        for (int c = begin; c < end; c++)
            flags[c] = flags[c] == 1 ? offset++ : -1;
        Group.Barrier();
        return total;
    }

    /// <summary>Exclusive prefix sum of one int per thread over the group; total on every thread. Contains barriers.</summary>
    public static int GroupExclusiveScan(int value, ArrayView<int> warpTotals, out int total)
    {
        int lane = Warp.LaneIdx, warp = Warp.WarpIdx, ws = Warp.WarpSize;
        int warps = Group.DimX / ws;
        int x = value;
        for (int offset = 1; offset < ws; offset *= 2)
        {
            int y = Warp.ShuffleUp(x, offset);      // warp-uniform: every lane shuffles
            if (lane >= offset)
                x += y;
        }
        if (lane == ws - 1)
            warpTotals[warp] = x;
        Group.Barrier();
        if (warp == 0)
        {
            int w = lane < warps ? warpTotals[lane] : 0;
            for (int offset = 1; offset < ws; offset *= 2)
            {
                int y = Warp.ShuffleUp(w, offset);
                if (lane >= offset)
                    w += y;
            }
            if (lane < warps)
                warpTotals[lane] = w;                 // inclusive warp totals
        }
        Group.Barrier();
        int before = warp > 0 ? warpTotals[warp - 1] : 0;
        total = warpTotals[warps - 1];
        Group.Barrier();                              // warpTotals may be reused right after
        return before + x - value;
    }

    /// <summary>The same selection by sorting: slots[c] as <see cref="SelectInOrder"/> returns them.</summary>
    public static int[] Reference(ReadOnlySpan<int> keys, int k)
    {
        int n = keys.Length;
        var order = new long[n];
        for (int c = 0; c < n; c++)
            order[c] = ((long)keys[c] << 32) | (uint)(int.MaxValue - c);   // larger key first, then lower index
        Array.Sort(order);
        var selected = new bool[n];
        for (int r = 0; r < Math.Min(k, n); r++)
            selected[int.MaxValue - (int)(order[n - 1 - r] & 0xFFFFFFFF)] = true;
        var slots = new int[n];
        int next = 0;
        for (int c = 0; c < n; c++)
            slots[c] = selected[c] ? next++ : -1;
        return slots;
    }
}
