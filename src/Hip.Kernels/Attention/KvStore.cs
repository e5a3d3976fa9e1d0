using ILGPU;

namespace Hip.Kernels;

/// <summary>Writes new key and value rows (float32) into one layer of the KV cache, rounded to its precision.</summary>
public static class KvStore
{
    // k, v: [tokens, kvHeads * headDim]   kCache, vCache: [blocks, kvHeads, 64, headDim] (one layer, KvLayout)   position: [1]
    // One thread per element: index over tokens * kvHeads * headDim. Token t goes to position start + t, where start is
    // startPos, or position[0] when startPos is KvPosition.OnDevice.
    public static void Kernel<T, TElement>(Index1D index, ArrayView<float> k, ArrayView<float> v, ArrayView<T> kCache, ArrayView<T> vCache,
        ArrayView<int> position, int kvHeads, int headDim, int startPos)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        TElement element = default;
        int d = index % headDim;
        int rest = index / headDim;
        int g = rest % kvHeads;
        int t = rest / kvHeads;
        long dst = KvLayout.Row(KvPosition.Resolve(position, startPos) + t, g, kvHeads) * headDim + d;
        kCache[dst] = element.Write(k[index]);
        vCache[dst] = element.Write(v[index]);
    }

    /// <summary>Copies rows k [tokens, kvHeads·headDim] to positions startPos.. of a float cache in the block layout.</summary>
    public static void Reference(ReadOnlySpan<float> k, Span<float> kCache, int tokens, int kvHeads, int headDim, int startPos)
    {
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < kvHeads; g++)
                k.Slice((t * kvHeads + g) * headDim, headDim)
                    .CopyTo(kCache.Slice((int)(KvLayout.Row(startPos + t, g, kvHeads) * headDim), headDim));
    }
}
