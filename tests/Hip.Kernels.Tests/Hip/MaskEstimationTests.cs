using Hip.Kernels;
using Xunit;
using static Hip.Kernels.Tests.Hip.HipTestData;

namespace Hip.Kernels.Tests.Hip;

public class MaskEstimationTests
{
    // Exact equality throughout: kernel and reference score with the same rounded products and sums in the same order
    // and break ties alike (lower index wins), so indices and counts must agree bit for bit. That holds for F16 caches
    // too, because the reference scores the same half-rounded keys the kernel widens to float (the test data is
    // half-rounded first); against fp32 keys an F16 mask may differ where scores tie within half rounding, which
    // EstimateMask_F16VersusF32Keys_KeepsMostBlocks measures as overlap.

    [Theory]
    // tokens, heads, kvHeads, headDim, capacity, startPos
    [InlineData(24, 4, 2, 16, 160, 120, KvPrecision.F32)]   // prefill, 3 query blocks, GQA 2
    [InlineData(20, 2, 2, 8, 140, 100, KvPrecision.F32)]    // partial last query block
    [InlineData(1, 4, 1, 16, 200, 180, KvPrecision.F32)]    // decode: one query, GQA 4
    [InlineData(24, 4, 2, 16, 160, 120, KvPrecision.F16)]
    [InlineData(1, 4, 1, 16, 200, 180, KvPrecision.F16)]
    public void EstimateMask_RandomInputs_MatchesReference(int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos,
        KvPrecision precision)
    {
        var x = Layer.Random(tokens, heads, kvHeads, headDim, capacity, startPos, seed: 11 + tokens, precision);
        AssertSameMask(x, Small);
    }

    [Theory]
    [InlineData(KvPrecision.F32)]
    [InlineData(KvPrecision.F16)]
    public void EstimateMask_TiedScores_MatchesReference(KvPrecision precision)
    {
        var x = Layer.Quantized(16, 2, 1, 4, 150, 130, seed: 5, precision);
        AssertSameMask(x, Small);
    }

    [Fact]
    public void EstimateMask_F16VersusF32Keys_KeepsMostBlocks()
    {
        // The F16 kernel's mask against the fp32 reference mask on the unrounded keys: rounding may swap near-tied
        // blocks, so ask for overlap, not equality. Bound 0.75 of the kept blocks (measured overlap printed).
        var exact = Layer.Random(24, 4, 2, 16, 300, 260, seed: 77);
        var half = exact with { K = KvTestCache.AsStored(exact.K, KvPrecision.F16), V = KvTestCache.AsStored(exact.V, KvPrecision.F16), Precision = KvPrecision.F16 };
        var options = Small;
        var (gpuIndices, gpuCounts) = GpuMask(half, options);
        var (refIndices, refCounts) = ReferenceMask(exact, options);
        var (shared, kept) = MaskEstimation.Overlap(refIndices, refCounts, gpuIndices, gpuCounts, options.Chunks);
        double overlap = (double)shared / kept;
        Console.WriteLine($"[HiP mask F16 vs fp32 keys] overlap {overlap:F3} ({shared}/{kept} blocks)");
        Assert.True(overlap >= 0.75, $"F16 mask keeps {shared} of the fp32 mask's {kept} blocks");
    }

    [Fact]
    public void EstimateMask_StridedKeysAndTwoQueryTiles_MatchesReference()
    {
        // 80 queries a block at stride 2: 40 sampled queries, two shared-memory tiles of 32; keys scored every 2nd of 4
        var options = Small with { BlockSizeQ = 128, K = 32, BlockSizeK = 4, BlockStrideK = 2 };
        var x = Layer.Random(80, 2, 1, 8, 260, 170, seed: 3);
        AssertSameMask(x, options);
    }

    [Fact]
    public void EstimateMask_Output_KeepsInvariants()
    {
        var options = Small;
        var x = Layer.Random(24, 4, 2, 16, 160, 100, seed: 21);
        var (indices, counts) = GpuMask(x, options);
        int queryBlocks = HipKernelSet.QueryBlocks(x.Tokens, options), bk = options.BlockSizeK;
        for (int h = 0; h < x.Heads; h++)
            for (int m = 0; m < queryBlocks; m++)
            {
                int row = h * queryBlocks + m;
                int horizon = x.StartPos + Math.Min(x.Tokens, (m + 1) * options.BlockSizeQ);
                int middleEnd = horizon - options.WindowTokens;
                int blocks = (middleEnd - options.SinkTokens + bk - 1) / bk;
                Assert.Equal(Math.Min(options.Chunks, blocks), counts[row]);
                var kept = indices.AsSpan(row * options.Chunks, counts[row]).ToArray();
                for (int j = 0; j < kept.Length; j++)
                {
                    Assert.True(kept[j] % bk == 0, $"head {h} block {m}: index {kept[j]} is not a multiple of {bk}");
                    Assert.InRange(kept[j], options.SinkTokens, middleEnd - 1);
                    if (j > 0)
                        Assert.True(kept[j] > kept[j - 1], $"head {h} block {m}: indices not strictly increasing at {j}");
                }
            }
    }

    [Fact]
    public void EstimateMask_ShortMiddle_TakesEveryBlock()
    {
        // horizon 40: middle [4, 32) = 14 blocks ≤ Kc = 16
        var options = Small with { K = 32 };
        var x = Layer.Random(8, 2, 1, 8, 48, 32, seed: 8);
        var (indices, counts) = GpuMask(x, options);
        Assert.Equal([14, 14], counts);
        Assert.Equal(Enumerable.Range(0, 14).Select(j => 4 + 2 * j), indices.Take(14));
        AssertSameMask(x, options, searched: false);
    }

    [Fact]
    public void TopKReference_EqualKeys_LowerIndexWins()
    {
        int[] keys = [5, 7, 7, TopK.EmptyKey, 7, 1];
        Assert.Equal([-1, 0, 1, -1, -1, -1], TopK.Reference(keys, 2));
    }

    [Fact]
    public void OrderedKey_PreservesFloatOrder()
    {
        float[] sorted = [float.NegativeInfinity, -3e38f, -2f, -1e-30f, 0f, 1e-30f, 0.5f, 2f, float.PositiveInfinity];
        for (int i = 1; i < sorted.Length; i++)
            Assert.True(TopK.OrderedKey(sorted[i - 1]) < TopK.OrderedKey(sorted[i]), $"{sorted[i - 1]} vs {sorted[i]}");
        Assert.Equal(TopK.OrderedKey(0f), TopK.OrderedKey(-0f));
        Assert.True(TopK.EmptyKey < TopK.OrderedKey(float.NegativeInfinity));
    }

    private static void AssertSameMask(Layer x, HipAttentionOptions options, bool searched = true)
    {
        var (gpuIndices, gpuCounts) = GpuMask(x, options);
        var (refIndices, refCounts) = ReferenceMask(x, options);
        Assert.Equal(refCounts, gpuCounts);
        for (int row = 0; row < refCounts.Length; row++)
            Assert.Equal(refIndices.AsSpan(row * options.Chunks, refCounts[row]).ToArray(),
                gpuIndices.AsSpan(row * options.Chunks, gpuCounts[row]).ToArray());
        if (searched)
            Assert.Contains(refCounts, c => c == options.Chunks);   // the tree search ran (middle longer than K)
    }
}
