using Hip.Kernels;
using Hip.TestSupport;
using Xunit;
using static Hip.Kernels.Tests.Hip.HipTestData;

namespace Hip.Kernels.Tests.Hip;

public class BlockSparseAttentionTests
{
    [Theory]
    // tokens, heads, kvHeads, headDim, capacity, startPos, k, splits
    [InlineData(24, 4, 2, 16, 160, 120, 16, 1, KvPrecision.F32)]    // prefill, 3 query blocks, GQA 2
    [InlineData(20, 2, 2, 8, 140, 100, 16, 1, KvPrecision.F32)]     // partial last query block
    [InlineData(1, 4, 1, 16, 200, 180, 64, 3, KvPrecision.F32)]     // decode: split-KV (3 splits of 32 keys) and merge
    [InlineData(10, 2, 1, 32, 160, 120, 64, 2, KvPrecision.F32)]    // prefill with 2 splits
    [InlineData(24, 4, 2, 16, 160, 120, 16, 1, KvPrecision.F16)]
    [InlineData(1, 4, 1, 16, 200, 180, 64, 3, KvPrecision.F16)]
    public void BlockSparseAttention_RandomMask_MatchesReference(int tokens, int heads, int kvHeads, int headDim, int capacity,
        int startPos, int k, int splits, KvPrecision precision)
    {
        // tolerance: float32 online softmax vs the double reference over ≤ 80 keys: 1e-4 relative + 1e-6 absolute; with
        // F16 the reference reads the same half-rounded K/V, so the tolerance is the same
        var options = Small with { K = k };
        var x = Layer.Random(tokens, heads, kvHeads, headDim, capacity, startPos, seed: 40 + tokens, precision);
        var (indices, counts) = RandomMask(x, options, seed: 7);
        var expected = ReferenceAttention(x, indices, counts, options);
        var actual = GpuAttention(x, indices, counts, options, splits);
        TestData.AssertClose(expected, actual, 1e-6, 1e-4, "block-sparse attention");
    }

    [Fact]
    public void BlockSparseAttention_EmptyMaskAndWindowOnly_MatchesReference()
    {
        // a query block whose mask is empty attends sink + window only; positions so early that sink and window meet
        var options = Small;
        var x = Layer.Random(10, 2, 1, 8, 40, 0, seed: 9);
        int rows = x.Heads * HipKernelSet.QueryBlocks(x.Tokens, options);
        var indices = new int[rows * options.Chunks];
        var counts = new int[rows];
        var expected = ReferenceAttention(x, indices, counts, options);
        TestData.AssertClose(expected, GpuAttention(x, indices, counts, options, 1), 1e-6, 1e-4, "sink + window");
        TestData.AssertClose(DenseReference(x), expected, 1e-6, 1e-5, "sink + window reference vs dense (nothing pruned)");
    }

    // sorted, distinct key blocks inside each block's middle, up to Kc of them (some rows with fewer)
    private static (int[] Indices, int[] Counts) RandomMask(Layer x, HipAttentionOptions options, int seed)
    {
        var random = new Random(seed);
        int queryBlocks = HipKernelSet.QueryBlocks(x.Tokens, options), bk = options.BlockSizeK;
        var indices = new int[x.Heads * queryBlocks * options.Chunks];
        var counts = new int[x.Heads * queryBlocks];
        for (int row = 0; row < counts.Length; row++)
        {
            int m = row % queryBlocks;
            int horizon = x.StartPos + Math.Min(x.Tokens, (m + 1) * options.BlockSizeQ);
            int blocks = Math.Max(0, (horizon - options.WindowTokens - options.SinkTokens + bk - 1) / bk);
            var chosen = Enumerable.Range(0, blocks).OrderBy(_ => random.Next()).Take(random.Next(options.Chunks / 2, options.Chunks + 1))
                .Order().Select(b => options.SinkTokens + b * bk).ToArray();
            counts[row] = chosen.Length;
            chosen.CopyTo(indices, row * options.Chunks);
        }
        return (indices, counts);
    }
}
