using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class DenseAttentionTests
{
    // Online softmax in fp32 with the GPU's approximate exp (ex2.approx) against a double reference: 1e-4 relative;
    // outputs are averages of values in [-1, 1], so the absolute floor is on that scale too. F16 caches are compared with
    // the reference run on the same half-rounded K/V (the kernel's arithmetic is the same fp32), so the tolerance is too.
    private const double Absolute = 1e-4, Relative = 1e-4;

    // F16 against the fp32 reference (K/V not rounded): half's 2^-11 relative rounding of each K/V element moves the
    // output by up to about 1e-4 (measured 1.2e-5 .. 1.34e-4 absolute over these shapes, printed by the test); bound 1e-3.
    private const double HalfVersusF32Absolute = 1e-3;

    [Theory]
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 3, 4, 4, 2, 8)]      // prefill after 4 cached tokens, GQA 2:1
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 1, 6, 4, 2, 8)]      // decode
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 4, 0, 4, 2, 8)]      // prefill from an empty cache
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 2, 3, 2, 1, 128)]    // largest head dim: every lane owns 4 dims
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 2, 3, 3, 3, 37)]     // no GQA; head dim not a multiple of the warp
    [InlineData(KernelVariant.Grouped, KvPrecision.F32, 1, 700, 2, 1, 8)]    // 701 keys in 11 blocks: two key splits, merged
    [InlineData(KernelVariant.Grouped, KvPrecision.F16, 3, 4, 4, 2, 8)]
    [InlineData(KernelVariant.Grouped, KvPrecision.F16, 1, 70, 2, 1, 128)]   // decode across a block boundary
    [InlineData(KernelVariant.Grouped, KvPrecision.F16, 1, 700, 2, 1, 8)]
    [InlineData(KernelVariant.PerThread, KvPrecision.F32, 3, 4, 4, 2, 8)]
    [InlineData(KernelVariant.PerThread, KvPrecision.F32, 1, 6, 4, 2, 8)]
    [InlineData(KernelVariant.PerThread, KvPrecision.F32, 2, 3, 2, 1, 128)]
    [InlineData(KernelVariant.PerThread, KvPrecision.F32, 2, 3, 3, 3, 37)]
    [InlineData(KernelVariant.PerThread, KvPrecision.F16, 3, 62, 4, 2, 8)]   // prefill across a block boundary
    [InlineData(KernelVariant.PerThread, KvPrecision.F16, 1, 5, 2, 1, 128)]
    public void DenseAttention_RandomCache_MatchesReference(KernelVariant variant, KvPrecision precision, int tokens, int startPos,
        int heads, int kvHeads, int headDim)
    {
        int capacity = startPos + tokens + 3;
        int valid = startPos + tokens;
        var q = TestData.Random(tokens * heads * headDim, scale: 2f);
        // Positions from startPos + tokens on are NaN: a read past the causal end would poison the output.
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, valid);
        float scale = 1f / MathF.Sqrt(headDim);
        var expected = new float[tokens * heads * headDim];
        DenseAttention.Reference(q, KvTestCache.AsStored(kCache, precision), KvTestCache.AsStored(vCache, precision), expected,
            tokens, heads, kvHeads, headDim, startPos, scale);

        var actual = Run(TestGpu.KernelsOf(variant), precision, q, kCache, vCache, tokens, heads, kvHeads, headDim, capacity, startPos, scale);

        TestData.AssertClose(expected, actual, Absolute, Relative, $"o ({variant}, {precision})");
        if (precision == KvPrecision.F16)
        {
            var exact = new float[expected.Length];
            DenseAttention.Reference(q, kCache, vCache, exact, tokens, heads, kvHeads, headDim, startPos, scale);
            double worst = exact.Zip(actual, (e, x) => Math.Abs(e - (double)x)).Max();
            Console.WriteLine($"[dense F16 vs fp32 reference] {variant} tokens {tokens} start {startPos} headDim {headDim}: max |diff| {worst:E2}");
            TestData.AssertClose(exact, actual, HalfVersusF32Absolute, 0, $"o ({variant}, F16 vs fp32 reference)");
        }
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

        var o = Run(TestGpu.KernelsOf(variant), KvPrecision.F32, q, kCache, vCache, 1, heads, kvHeads, headDim, capacity, 0, 0.5f);

        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            var expected = vCache.AsSpan((int)(KvLayout.Row(0, g, kvHeads) * headDim), headDim);
            TestData.AssertClose(expected, o.AsSpan(h * headDim, headDim), 1e-6, 1e-6, $"o head {h}");   // p = 1 exactly
        }
    }

    [Theory]
    [InlineData("warps", KvPrecision.F32, 3, 4, 4, 2, 8, 0)]       // the GPU's prefill form, forced at a small size
    [InlineData("warps", KvPrecision.F16, 2, 3, 2, 1, 128, 0)]
    [InlineData("split", KvPrecision.F32, 4, 5, 4, 2, 8, 3)]       // 9 keys in 3 splits: query 0 sees 6 keys, so its third split is empty
    [InlineData("split", KvPrecision.F16, 2, 70, 2, 1, 36, 5)]      // 36: 4 + 8 + 8 + ... a head dim with a remainder after the 8-vector loads
    [InlineData("split", KvPrecision.F16, 1, 77, 4, 2, 128, 4)]     // decode shape: whole 8-vector loads, 8-row value batches plus a tail
    [InlineData("warps", KvPrecision.F16, 2, 70, 2, 1, 37, 0)]      // odd head dims take the warp form
    public void DenseAttention_GpuFormsForcedAtSmallSizes_MatchReference(string form, KvPrecision precision, int tokens, int startPos,
        int heads, int kvHeads, int headDim, int splits)
    {
        int capacity = startPos + tokens + 2;
        var q = TestData.Random(tokens * heads * headDim, scale: 2f);
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, startPos + tokens);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, startPos + tokens);
        float scale = 1f / MathF.Sqrt(headDim);
        var expected = new float[tokens * heads * headDim];
        DenseAttention.Reference(q, KvTestCache.AsStored(kCache, precision), KvTestCache.AsStored(vCache, precision), expected,
            tokens, heads, kvHeads, headDim, startPos, scale);

        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var a = kernels.Accelerator;
        using var kv = new KvTestCache(a, precision, kCache, vCache, capacity);
        using var qBuffer = a.Allocate1D(q);
        using var oBuffer = a.Allocate1D(TestData.Poison(tokens * heads * headDim));
        if (form == "warps")
            kernels.DenseAttentionWarps(qBuffer.View, kv.Layer, oBuffer.View, tokens, heads, kvHeads, headDim, startPos, scale);
        else
            kernels.DenseAttentionSplit(qBuffer.View, kv.Layer, oBuffer.View, tokens, heads, kvHeads, headDim, startPos, scale, splits);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, oBuffer.GetAsArray1D(), Absolute, Relative, $"o ({form}, {precision})");
    }

    [Theory]
    [InlineData(KernelVariant.Grouped)]
    [InlineData(KernelVariant.PerThread)]
    public void DenseAttention_DecodeStepsWithDevicePosition_EqualHostPositions(KernelVariant variant)
    {
        // A graph-replayable decode: the same call every step (startPos OnDevice), the position advanced on the device.
        // The Grouped form then splits by capacity instead of by the keys seen, so it matches the reference within the
        // usual tolerance; the per-thread form does the same arithmetic either way, so it matches bit for bit.
        const int heads = 2, kvHeads = 1, headDim = 8, capacity = 300, first = 262, steps = 2;   // positions 262, 263 of block 4
        var kCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, first + steps);
        var vCache = CacheWithPoisonedTail(kvHeads, capacity, headDim, first + steps);
        var kernels = TestGpu.KernelsOf(variant);
        var a = kernels.Accelerator;
        using var kv = new KvTestCache(a, KvPrecision.F16, kCache, vCache, capacity);
        using var position = a.Allocate1D(new[] { first });
        using var qBuffer = a.Allocate1D<float>(heads * headDim);
        using var onDevice = a.Allocate1D<float>(heads * headDim);
        using var onHost = a.Allocate1D<float>(heads * headDim);
        float scale = 1f / MathF.Sqrt(headDim);
        for (int step = 0; step < steps; step++)
        {
            var q = TestData.Random(heads * headDim, 2f, seed: 90 + step);
            qBuffer.CopyFromCPU(q);
            kernels.DenseAttention(qBuffer.View, kv.Layer, onDevice.View, 1, heads, kvHeads, headDim, KvPosition.OnDevice, scale, position.View);
            kernels.AdvancePosition(position.View);
            kernels.DenseAttention(qBuffer.View, kv.Layer, onHost.View, 1, heads, kvHeads, headDim, first + step, scale);
            TestGpu.ThrowIfFaulted();

            float[] device = onDevice.GetAsArray1D(), host = onHost.GetAsArray1D();
            if (variant == KernelVariant.PerThread)
                Assert.Equal(host, device);
            else
                TestData.AssertClose(host, device, Absolute, Relative, $"step {step}");
        }
        Assert.Equal(first + steps, position.GetAsArray1D()[0]);
    }

    private static float[] Run(KernelSet kernels, KvPrecision precision, float[] q, float[] kCache, float[] vCache,
        int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos, float scale)
    {
        var a = kernels.Accelerator;
        using var kv = new KvTestCache(a, precision, kCache, vCache, capacity);
        using var qBuffer = a.Allocate1D(q);
        using var oBuffer = a.Allocate1D(TestData.Poison(tokens * heads * headDim));
        kernels.DenseAttention(qBuffer.View, kv.Layer, oBuffer.View, tokens, heads, kvHeads, headDim, startPos, scale);
        TestGpu.ThrowIfFaulted();
        return oBuffer.GetAsArray1D();
    }

    // [blocks, kvHeads, 64, headDim]: random for positions < valid, NaN after (and in the last block's padding).
    private static float[] CacheWithPoisonedTail(int kvHeads, int capacity, int headDim, int valid)
    {
        var cache = TestData.Poison((int)KvLayout.LayerElements(capacity, kvHeads, headDim));
        var random = TestData.Random(kvHeads * valid * headDim);
        for (int g = 0; g < kvHeads; g++)
            for (int t = 0; t < valid; t++)
                random.AsSpan((g * valid + t) * headDim, headDim).CopyTo(cache.AsSpan((int)(KvLayout.Row(t, g, kvHeads) * headDim), headDim));
        return cache;
    }
}
