using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class FlashAttentionTests
{
    // The kernel rounds the scaled q and the probabilities P to fp16 (relative 2⁻¹¹ each) and accumulates in float32;
    // the reference reads the same fp16 K/V in double. With |q|, |k|, |v| ≤ 1 the outputs are weighted means of v, so
    // 4e-3 absolute + 4e-3 relative covers the rounding of P and of scores up to |s| ≈ 3.
    private const double Absolute = 4e-3, Relative = 4e-3;

    private const ushort HalfNaN = 0x7E00;

    // Dense causal, kept tiny because the CPU accelerator emulates each mma with 32 warp shuffles: at d 64 one query
    // tile over 2 key tiles (the online softmax across tiles, the second tile diagonal); at d 128 a partial query tile
    // with 2 query heads sharing the KV head. Positions after the last key hold NaN, so reading or weighting them fails.
    // Auto with query tile 0: the accelerator's defaults (on the CPU the plain kernel, query tile 16); Plain in groups of
    // 8 warps over 3 key tiles. Ldmatrix (8-warp groups, the next 64-key tile in registers, ldmatrix fragments; CUDA's
    // default): d 64 over two tiles, the last part-full, with the diagonal across them; d 128 with 4 query heads a KV
    // head, two warps each; d 128 with 8 query heads a KV head from position 0 over several groups, 50 tokens (the last
    // warp's rows part-real); d 64 with one head and 8 warps on it (early warps skip the last tile).
    [Theory]
    [InlineData(64, 16, 1, 1, 60, FlashDenseForm.Auto, 0)]
    [InlineData(128, 10, 2, 1, 20, FlashDenseForm.Auto, 0)]
    [InlineData(64, 20, 2, 1, 120, FlashDenseForm.Plain, 64)]
    [InlineData(64, 40, 2, 1, 75, FlashDenseForm.Ldmatrix, 64)]
    [InlineData(128, 30, 4, 1, 40, FlashDenseForm.Ldmatrix, 32)]
    [InlineData(128, 50, 8, 1, 0, FlashDenseForm.Ldmatrix, 16)]
    [InlineData(64, 150, 1, 1, 10, FlashDenseForm.Ldmatrix, 128)]
    public void Dense_RandomInputs_MatchesReference(int headDim, int tokens, int heads, int kvHeads, int startPos, FlashDenseForm form, int tile)
    {
        int? queryTile = tile == 0 ? null : tile;
        var (q, k, v) = RandomLayer(tokens, heads, kvHeads, headDim, startPos, out var kBits, out var vBits);
        var expected = new float[tokens * heads * headDim];
        FlashAttention.Reference(q, kBits, vBits, expected, tokens, heads, kvHeads, headDim, startPos, 1f / MathF.Sqrt(headDim));

        var acc = TestGpu.Gpu.Accelerator;
        using var qBuffer = acc.Allocate1D(q);
        using var kBuffer = acc.Allocate1D(kBits);
        using var vBuffer = acc.Allocate1D(vBits);
        using var oBuffer = acc.Allocate1D(TestData.Poison(expected.Length));
        TestGpu.Kernels.FlashAttentionPrefill(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View,
            tokens, heads, kvHeads, headDim, startPos, 1f / MathF.Sqrt(headDim), queryTile, form);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, oBuffer.GetAsArray1D(), Absolute, Relative, $"flash attention d {headDim}, {form} kernel, query tile {tile}");
    }

    // HiP: one query block of 16 per head, each with its own random selection of key blocks of 2
    // among the keys before its window; sink 4, window 8. The reference attends the same selected blocks.
    [Fact]
    public void Hip_RandomMask_MatchesReferenceOnTheSameBlocks()
    {
        const int headDim = 64, tokens = 16, heads = 2, kvHeads = 1, startPos = 60;
        var options = new HipAttentionOptions
        {
            K = 16, BlockSizeQ = 16, BlockStrideQ = 2, BlockSizeK = 2, BlockStrideK = 1, SinkTokens = 4, WindowTokens = 8,
        }.Validate();
        var (q, _, _) = RandomLayer(tokens, heads, kvHeads, headDim, startPos, out var kBits, out var vBits);
        var (indices, counts) = RandomMask(tokens, heads, startPos, options, seed: 7);
        var expected = new float[tokens * heads * headDim];
        float scale = 1f / MathF.Sqrt(headDim);
        FlashAttention.HipReference(q, kBits, vBits, expected, indices, counts, tokens, heads, kvHeads, headDim, startPos, scale, options);

        var acc = TestGpu.Gpu.Accelerator;
        using var qBuffer = acc.Allocate1D(q);
        using var kBuffer = acc.Allocate1D(kBits);
        using var vBuffer = acc.Allocate1D(vBits);
        using var iBuffer = acc.Allocate1D(indices);
        using var cBuffer = acc.Allocate1D(counts);
        using var oBuffer = acc.Allocate1D(TestData.Poison(expected.Length));
        TestGpu.Kernels.HipAttentionPrefill(qBuffer.View, kBuffer.View, vBuffer.View, oBuffer.View, iBuffer.View, cBuffer.View,
            tokens, heads, kvHeads, headDim, startPos, scale, options);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, oBuffer.GetAsArray1D(), Absolute, Relative, "HiP tensor-core attention");
    }

    [Fact]
    public void BadShapes_Throw()
    {
        var acc = TestGpu.Gpu.Accelerator;
        using var q = acc.Allocate1D<float>(96 * 2);
        using var k = acc.Allocate1D<ushort>(KvLayout.LayerElements(2, 1, 96));
        var e = Assert.Throws<NotSupportedException>(() =>
            TestGpu.Kernels.FlashAttentionPrefill(q.View, k.View, k.View, q.View, 2, 1, 1, 96, 0, 0.1f));
        Assert.Contains("headDim = 96", e.Message);
        using var small = acc.Allocate1D<ushort>(64);
        using var q64 = acc.Allocate1D<float>(64 * 2);
        var f = Assert.Throws<ArgumentException>(() =>
            TestGpu.Kernels.FlashAttentionPrefill(q64.View, small.View, small.View, q64.View, 2, 1, 1, 64, 0, 0.1f));
        Assert.Contains("kCache holds 64", f.Message);
    }

    // q [tokens, heads·headDim] random; K/V F16 in the block layout, random for positions 0 .. startPos + tokens − 1
    // and NaN after them (the rest of the last block).
    private static (float[] Q, float[] K, float[] V) RandomLayer(int tokens, int heads, int kvHeads, int headDim, int startPos,
        out ushort[] kBits, out ushort[] vBits)
    {
        int positions = startPos + tokens;
        var q = TestData.Random(tokens * heads * headDim);
        var k = TestData.Random(positions * kvHeads * headDim);
        var v = TestData.Random(positions * kvHeads * headDim);
        long length = KvLayout.LayerElements(positions, kvHeads, headDim);
        kBits = new ushort[length];
        vBits = new ushort[length];
        Array.Fill(kBits, HalfNaN);
        Array.Fill(vBits, HalfNaN);
        for (int t = 0; t < positions; t++)
            for (int g = 0; g < kvHeads; g++)
                for (int d = 0; d < headDim; d++)
                {
                    long at = KvLayout.Row(t, g, kvHeads) * headDim + d;
                    kBits[at] = WeightBits.FromFloat(k[(t * kvHeads + g) * headDim + d], WeightFormat.F16);
                    vBits[at] = WeightBits.FromFloat(v[(t * kvHeads + g) * headDim + d], WeightFormat.F16);
                }
        return (q, k, v);
    }

    // Per (head, query block): a random number of distinct key blocks (sorted) among those the block's first query sees.
    private static (int[] Indices, int[] Counts) RandomMask(int tokens, int heads, int startPos, HipAttentionOptions options, int seed)
    {
        var random = new Random(seed);
        int queryBlocks = (tokens + options.BlockSizeQ - 1) / options.BlockSizeQ;
        var indices = Enumerable.Repeat(-1, heads * queryBlocks * options.Chunks).ToArray();
        var counts = new int[heads * queryBlocks];
        for (int h = 0; h < heads; h++)
            for (int m = 0; m < queryBlocks; m++)
            {
                int visible = startPos + m * options.BlockSizeQ + 1;
                var candidates = Enumerable.Range(0, visible / options.BlockSizeK).Select(b => b * options.BlockSizeK)
                    .Where(b => b >= options.SinkTokens).OrderBy(_ => random.Next()).ToList();
                int count = Math.Min(candidates.Count, random.Next(options.Chunks / 2, options.Chunks + 1));
                var chosen = candidates.Take(count).Order().ToArray();
                int row = h * queryBlocks + m;
                counts[row] = count;
                chosen.CopyTo(indices, row * options.Chunks);
            }
        return (indices, counts);
    }
}
