using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Top-k of a short row held in shared memory, chosen by one group without sorting (docs/hip.md, mask estimation: the per-iteration
/// sort is the mask kernel's hot spot). A radix select finds the k-th key, then the k best are compacted in index order by
/// group prefix sums. Order: higher key first; on equal keys the lower index wins.
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

    /// <summary>Bins of the radix select's histogram; <see cref="SelectInOrder"/> takes a histogram of <see cref="HistogramLength"/> ints.</summary>
    public const int RadixBins = 256;

    /// <summary>Ints of the shared histogram <see cref="SelectInOrder"/> needs: the bins and two results of a pass.</summary>
    public const int HistogramLength = RadixBins + 2;

    /// <summary>
    /// In-group selection: slots[c] = the position of candidate c among the k best of keys[0, n) in index order, or −1.
    /// A radix select (four 8-bit passes of a shared histogram find the k-th key exactly), then the keys above it and the
    /// first ties by index are compacted in index order: O(n) work a pass, where counting ranks was O(n²). Call from every
    /// thread of the group; keys must be visible to all (barrier before); ends with a barrier.
    /// </summary>
    /// <param name="keys">[n] ordered keys (shared memory).</param>
    /// <param name="slots">[n] output (shared memory).</param>
    /// <param name="warpTotals">[Reductions.MaxWarps] scratch (shared memory).</param>
    /// <param name="histogram">[<see cref="HistogramLength"/>] scratch (shared memory).</param>
    /// <returns>The number selected, min(k, n), on every thread.</returns>
    public static int SelectInOrder(ArrayView<int> keys, ArrayView<int> slots, ArrayView<int> warpTotals, ArrayView<int> histogram, int n, int k)
    {
        int tid = Group.IdxX, threads = Group.DimX;
        if (k >= n)
        {
            for (int c = tid; c < n; c += threads)
                slots[c] = 1;
            Group.Barrier();
            return CompactInOrder(slots, warpTotals, n);
        }

        // the k-th largest key, 8 bits a pass: keys as unsigned (order kept), the bits above the pass already decided
        uint prefix = 0, decided = 0;
        int remaining = k;                           // how many of the candidates matching prefix are still to take
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            for (int b = tid; b < RadixBins; b += threads)
                histogram[b] = 0;
            Group.Barrier();
            for (int c = tid; c < n; c += threads)
            {
                uint u = Unsigned(keys[c]);
                if ((u & decided) == prefix)
                    Atomic.Add(ref histogram[(int)((u >> shift) & 0xFF)], 1);
            }
            Group.Barrier();
            if (Warp.WarpIdx == 0)
                FindBin(histogram, remaining);
            Group.Barrier();
            int bin = histogram[RadixBins];
            remaining -= histogram[RadixBins + 1];   // taken: the candidates in higher bins
            prefix |= (uint)bin << shift;
            decided |= 0xFFu << shift;
            Group.Barrier();                         // every thread read the results before the next pass clears
        }

        // prefix is the k-th key: take the keys above it and the first `remaining` equal to it, by index
        for (int c = tid; c < n; c += threads)
            slots[c] = Unsigned(keys[c]) == prefix ? 1 : 0;
        Group.Barrier();
        CompactInOrder(slots, warpTotals, n);        // slots: rank among the ties, −1 elsewhere
        for (int c = tid; c < n; c += threads)
        {
            int tie = slots[c];
            slots[c] = Unsigned(keys[c]) > prefix || (tie >= 0 && tie < remaining) ? 1 : 0;
        }
        Group.Barrier();
        return CompactInOrder(slots, warpTotals, n);
    }

    // warp 0: the highest bin b with (candidates in bins above b) < remaining ≤ (candidates in bins ≥ b); writes b to
    // histogram[RadixBins] and the count above it to histogram[RadixBins + 1]. Lane l scans bins from the top, per a lane.
    private static void FindBin(ArrayView<int> histogram, int remaining)
    {
        int lane = Warp.LaneIdx, ws = Warp.WarpSize;
        int per = (RadixBins + ws - 1) / ws;
        int sum = 0;
        for (int i = 0; i < per; i++)
        {
            int r = lane * per + i;
            if (r < RadixBins)
                sum += histogram[RadixBins - 1 - r];
        }
        int inclusive = sum;
        for (int offset = 1; offset < ws; offset *= 2)
        {
            int y = Warp.ShuffleUp(inclusive, offset);   // warp-uniform: every lane shuffles
            if (lane >= offset)
                inclusive += y;
        }
        int running = inclusive - sum;
        if (running < remaining && remaining <= inclusive)
        {
            for (int i = 0; i < per; i++)
            {
                int bin = RadixBins - 1 - (lane * per + i);
                int count = histogram[bin];
                if (running + count >= remaining)
                {
                    histogram[RadixBins] = bin;
                    histogram[RadixBins + 1] = running;
                    break;
                }
                running += count;
            }
        }
    }

    private static uint Unsigned(int key) => (uint)key ^ 0x80000000u;

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
