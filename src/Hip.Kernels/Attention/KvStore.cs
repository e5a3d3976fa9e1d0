using ILGPU;

namespace Hip.Kernels;

/// <summary>Writes new key and value rows into one layer of the KV cache.</summary>
public static class KvStore
{
    // k, v: [tokens, kvHeads * headDim]   kCache, vCache: [kvHeads, capacity, headDim] (one layer)
    // One thread per element: index over tokens * kvHeads * headDim. Token t goes to position startPos + t.
    public static void Kernel(Index1D index, ArrayView<float> k, ArrayView<float> v, ArrayView<float> kCache, ArrayView<float> vCache,
        int kvHeads, int headDim, int capacity, int startPos)
    {
        int d = index % headDim;
        int rest = index / headDim;
        int g = rest % kvHeads;
        int t = rest / kvHeads;
        long dst = ((long)g * capacity + startPos + t) * headDim + d;
        kCache[dst] = k[index];
        vCache[dst] = v[index];
    }

    public static void Reference(ReadOnlySpan<float> k, Span<float> kCache, int tokens, int kvHeads, int headDim, int capacity, int startPos)
    {
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < kvHeads; g++)
                k.Slice((t * kvHeads + g) * headDim, headDim)
                    .CopyTo(kCache.Slice((g * capacity + startPos + t) * headDim, headDim));
    }
}
