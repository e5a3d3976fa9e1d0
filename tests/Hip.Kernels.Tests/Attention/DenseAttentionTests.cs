using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class DenseAttentionTests
{
    // Online softmax in fp32 with the GPU's approximate exp (ex2.approx) against a double reference: 1e-4 relative;
    // outputs are averages of values in [-1, 1], so the absolute floor is on that scale too.
    private const double Absolute = 1e-4, Relative = 1e-4;

    [Theory]
    [InlineData(KernelVariant.Grouped, 3, 4, 4, 2, 8)]      // prefill after 4 cached tokens, GQA 2:1
    [InlineData(KernelVariant.Grouped, 1, 6, 4, 2, 8)]      // decode
    [InlineData(KernelVariant.Grouped, 4, 0, 4, 2, 8)]      // prefill from an empty cache
    [InlineData(KernelVariant.Grouped, 2, 3, 2, 1, 128)]    // largest head dim: every lane owns 4 dims
    [InlineData(KernelVariant.Grouped, 1, 5, 2, 1, 128)]
    [InlineData(KernelVariant.Grouped, 2, 3, 3, 3, 37)]     // no GQA; head dim not a multiple of the warp
    [InlineData(KernelVariant.Grouped, 1, 700, 2, 1, 8)]    // 701 keys: two key splits, merged
    [InlineData(KernelVariant.PerThread, 3, 4, 4, 2, 8)]
    [InlineData(KernelVariant.PerThread, 1, 6, 4, 2, 8)]
    [InlineData(KernelVariant.PerThread, 2, 3, 2, 1, 128)]
    [InlineData(KernelVariant.PerThread, 1, 5, 2, 1, 128)]
    [InlineData(KernelVariant.PerThread, 2, 3, 3, 3, 37)]
    public void DenseAttention_RandomCache_MatchesReference(KernelVariant variant, int tokens, int startPos, int heads, int kvHeads, int headDim)
    {
        int capacity = startPos + tokens + 3;
        int valid = startPos + tokens;
        var q = TestData.Random(tokens * heads * headDim, scale: 2f);
        // Positions from startPos + tokens on are NaN: a read past the causal end would poison the output.
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid);
        float scale = 1f / MathF.Sqrt(headDim);
        var expected = new float[tokens * heads * headDim];
        DenseAttention.Reference(q, kCache, vCache, expected, tokens, heads, kvHeads, headDim, capacity, startPos, scale);

        var a = TestGpu.Kernels.Accelerator;
        using var qBuffer = a.Allocate1D(q);
        using var kBuffer = a.Allocate1D(kCache);
        using var vBuffer = a.Allocate1D(vCache);
        using var oBuffer = a.Allocate1D(TestData.Poison(tokens * heads * headDim));
        TestGpu.KernelsOf(variant).DenseAttention(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View,
            tokens, heads, kvHeads, headDim, capacity, startPos, scale);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, oBuffer.GetAsArray1D(), Absolute, Relative, $"o ({variant})");
    }

    [Theory]
    [InlineData(KernelVariant.Grouped)]
    [InlineData(KernelVariant.PerThread)]
    public void DenseAttention_FirstPosition_ReturnsFirstValue(KernelVariant variant)
    {
        // One key: softmax weight 1, so o is exactly v[0] of the query's KV head.
        const int heads = 4, kvHeads = 2, headDim = 8, capacity = 2;
        var q = TestData.Random(heads * headDim);
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid: 1);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid: 1);

        var a = TestGpu.Kernels.Accelerator;
        using var qBuffer = a.Allocate1D(q);
        using var kBuffer = a.Allocate1D(kCache);
        using var vBuffer = a.Allocate1D(vCache);
        using var oBuffer = a.Allocate1D(TestData.Poison(heads * headDim));
        TestGpu.KernelsOf(variant).DenseAttention(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View,
            1, heads, kvHeads, headDim, capacity, 0, 0.5f);
        TestGpu.ThrowIfFaulted();

        var o = oBuffer.GetAsArray1D();
        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            var expected = vCache.AsSpan(g * capacity * headDim, headDim);
            TestData.AssertClose(expected, o.AsSpan(h * headDim, headDim), 1e-6, 1e-6, $"o head {h}");   // p = 1 exactly
        }
    }

    [Theory]
    [InlineData("warps", 3, 4, 4, 2, 8, 0)]       // the GPU's prefill form, forced at a small size
    [InlineData("warps", 2, 3, 2, 1, 128, 0)]
    [InlineData("split", 4, 5, 4, 2, 8, 3)]       // 9 keys in 3 splits: query 0 sees 6 keys, so its third split is empty
    [InlineData("split", 2, 30, 2, 1, 37, 5)]
    public void DenseAttention_GpuFormsForcedAtSmallSizes_MatchReference(string form, int tokens, int startPos, int heads, int kvHeads, int headDim, int splits)
    {
        int capacity = startPos + tokens + 2;
        var q = TestData.Random(tokens * heads * headDim, scale: 2f);
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, startPos + tokens);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, startPos + tokens);
        float scale = 1f / MathF.Sqrt(headDim);
        var expected = new float[tokens * heads * headDim];
        DenseAttention.Reference(q, kCache, vCache, expected, tokens, heads, kvHeads, headDim, capacity, startPos, scale);

        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var a = kernels.Accelerator;
        using var qBuffer = a.Allocate1D(q);
        using var kBuffer = a.Allocate1D(kCache);
        using var vBuffer = a.Allocate1D(vCache);
        using var oBuffer = a.Allocate1D(TestData.Poison(tokens * heads * headDim));
        if (form == "warps")
            kernels.DenseAttentionWarps(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View, tokens, heads, kvHeads, headDim, capacity, startPos, scale);
        else
            kernels.DenseAttentionSplit(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View, tokens, heads, kvHeads, headDim, capacity, startPos, scale, splits);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, oBuffer.GetAsArray1D(), Absolute, Relative, $"o ({form})");
    }

    // [kvHeads, capacity, headDim]: random for positions < valid, NaN after.
    private static float[] CacheWithPoisonedTail(int kvHeads, int capacity, int headDim, int valid)
    {
        var cache = TestData.Poison(kvHeads * capacity * headDim);
        for (int g = 0; g < kvHeads; g++)
            TestData.Random(valid * headDim).CopyTo(cache, g * capacity * headDim);
        return cache;
    }
}
