using Hip.Kernels;
using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using static Hip.Kernels.Tests.Hip.HipTestData;

namespace Hip.Kernels.Tests.TensorCore;

/// <summary>
/// The tensor-core mask kernel (<see cref="MaskEstimationTc"/>) against <see cref="MaskEstimationTc.Reference"/> (the
/// float reference on fp16-rounded queries). On the CPU accelerator mma.sync is emulated; the GPU runner runs the same
/// tests on the tensor cores.
/// </summary>
public class MaskEstimationTcTests
{
    // Values in {−1, 0.5, 1}: every product and every partial sum of ≤ 128 terms is exact in fp16 inputs and float32
    // sums, whatever the order, so the scores equal the reference's bit for bit and the masks (ties included: the lower
    // index wins) must be identical.
    [Theory]
    // tokens, heads, kvHeads, headDim, capacity, startPos
    [InlineData(24, 4, 2, 32, 200, 150)]   // prefill, 3 query blocks (the last partial), GQA 2
    [InlineData(1, 4, 1, 64, 260, 230)]    // decode: one query, GQA 4
    [InlineData(16, 2, 2, 128, 300, 260)]  // head dim 128: four 16-byte loads a key
    [InlineData(40, 2, 1, 96, 240, 180)]   // head dim 96: three loads
    public void EstimateMask_ExactScores_MatchesReference(int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos)
    {
        var x = Layer.Quantized(tokens, heads, kvHeads, headDim, capacity, startPos, seed: 3 + headDim, KvPrecision.F16);
        AssertSameMask(x, Small);
    }

    [Fact]
    public void EstimateMask_FourQueryTilesAndStridedKeys_MatchesReference()
    {
        // 64 sampled queries (four A tiles), key blocks of 4 scored at keys 1 and 3 (two entries a candidate)
        var options = Small with { BlockSizeQ = 64, BlockStrideQ = 1, K = 32, BlockSizeK = 4, BlockStrideK = 2 };
        var x = Layer.Quantized(70, 2, 1, 32, 320, 200, seed: 12, KvPrecision.F16);
        AssertSameMask(x, options);
    }

    [Fact]
    public void EstimateDecodeMask_RefreshesEveryInterval_MatchesReference()
    {
        // decode on tensor cores: the first step refreshes (origin −1), the next steps keep the cached mask until
        // RefreshInterval positions later, whose mask is the reference's for that step's query
        var options = Small;   // RefreshInterval 4
        var first = Layer.Quantized(1, 4, 2, 32, 300, 250, seed: 31, KvPrecision.F16);
        var other = Layer.Quantized(1, 4, 2, 32, 300, 250, seed: 32, KvPrecision.F16) with { K = first.K, V = first.V };
        var a = TestGpu.Gpu.Accelerator;
        using var kv = first.Upload();
        using var indices = a.Allocate1D(Enumerable.Repeat(-7, 4 * options.Chunks).ToArray());
        using var counts = a.Allocate1D(Enumerable.Repeat(-7, 4).ToArray());
        using var origins = a.Allocate1D(new[] { -1 });
        (int[], int[]) Step(Layer x, int position)
        {
            using var q = a.Allocate1D(x.Q);
            TensorCoreKernels.EstimateDecodeMask(q.View, kv.Layer, indices.View, counts.View, origins.View, 0, 4, 2, 32, position, options);
            TestGpu.ThrowIfFaulted();
            return (indices.GetAsArray1D(), counts.GetAsArray1D());
        }
        static string Text((int[] Indices, int[] Counts) mask) => string.Join(",", mask.Indices) + " | " + string.Join(",", mask.Counts);
        string refreshed = Text(Step(first, 250));
        Assert.Equal(Text(Reference(first, options)), refreshed);
        Assert.Equal(250, origins.GetAsArray1D()[0]);
        Assert.Equal(refreshed, Text(Step(other, 251)));                                  // not due: the cached mask stands
        string due = Text(Reference(other with { StartPos = 254 }, options));
        Assert.Equal(due, Text(Step(other, 254)));                                        // due again
        Assert.NotEqual(refreshed, due);                                                  // the test can tell them apart
    }

    [Fact]
    public void EstimateMask_RandomInputs_KeepsReferenceBlocks()
    {
        // Random values: the tensor cores' float32 sums differ from the reference's by rounding (~1e-6 relative), which
        // can swap near-tied branches and the subtree under them. Bound: 0.95 of the reference's kept blocks (the
        // measured overlap is printed); counts must be equal (they depend on geometry only).
        var x = Layer.Random(32, 4, 2, 64, 400, 340, seed: 91, KvPrecision.F16);
        var (indices, counts) = GpuMask(x, Small, TensorCoreKernels);
        var (refIndices, refCounts) = Reference(x, Small);
        Assert.Equal(refCounts, counts);
        var (shared, kept) = MaskEstimation.Overlap(refIndices, refCounts, indices, counts, Small.Chunks);
        double overlap = (double)shared / kept;
        Console.WriteLine($"[HiP mask tensor cores vs reference] overlap {overlap:F4} ({shared}/{kept} blocks)");
        Assert.True(overlap >= 0.95, $"tensor-core mask keeps {shared} of the reference's {kept} blocks");
    }

    [Theory]
    [InlineData(512, 256, 7)]     // the mask's shape: 2·Kc candidates, Kc kept
    [InlineData(300, 17, 3)]
    [InlineData(64, 64, 2)]       // k = n: everything
    [InlineData(50, 80, 2)]       // k > n
    [InlineData(1000, 999, 40)]
    public void SelectInOrder_MatchesReference(int n, int k, int distinct)
    {
        // few distinct keys (many ties), empty candidates, negative and positive keys
        var random = new Random(n + k);
        int[] pool = [TopK.EmptyKey, TopK.OrderedKey(float.NegativeInfinity), ..Enumerable.Range(0, distinct).Select(_ => TopK.OrderedKey((float)(random.NextDouble() * 4 - 2)))];
        var keys = Enumerable.Range(0, n).Select(_ => pool[random.Next(pool.Length)]).ToArray();
        var accelerator = TestGpu.Gpu.Accelerator;
        using var keysBuffer = accelerator.Allocate1D(keys);
        using var slots = accelerator.Allocate1D<int>(n);
        using var total = accelerator.Allocate1D<int>(1);
        var kernel = accelerator.LoadKernel<ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int>(SelectKernel);
        kernel(accelerator.DefaultStream, new KernelConfig(1, accelerator.AcceleratorType == AcceleratorType.Cuda ? 256 : accelerator.WarpSize),
            keysBuffer.View, slots.View, total.View, n, k);
        TestGpu.ThrowIfFaulted();
        Assert.Equal(TopK.Reference(keys, k), slots.GetAsArray1D());
        Assert.Equal(Math.Min(k, n), total.GetAsArray1D()[0]);
    }

    private static void SelectKernel(ArrayView<int> keys, ArrayView<int> slots, ArrayView<int> total, int n, int k)
    {
        var sharedKeys = SharedMemory.Allocate<int>(1024);
        var sharedSlots = SharedMemory.Allocate<int>(1024);
        var warpTotals = SharedMemory.Allocate<int>(Reductions.MaxWarps + 1);
        var histogram = SharedMemory.Allocate<int>(TopK.HistogramLength);
        for (int c = Group.IdxX; c < n; c += Group.DimX)
            sharedKeys[c] = keys[c];
        Group.Barrier();
        int selected = TopK.SelectInOrder(sharedKeys, sharedSlots, warpTotals, histogram, n, k);
        for (int c = Group.IdxX; c < n; c += Group.DimX)
            slots[c] = sharedSlots[c];
        if (Group.IdxX == 0)
            total[0] = selected;
    }

    private static (int[] Indices, int[] Counts) Reference(Layer x, HipAttentionOptions options) => ReferenceMask(x, options, tensorCores: true);

    private static void AssertSameMask(Layer x, HipAttentionOptions options)
    {
        Assert.True(MaskEstimationTc.Supports(x.HeadDim, options.BlockSizeQ, options.BlockStrideQ), "shapes the tensor-core kernel serves");
        var (indices, counts) = GpuMask(x, options, TensorCoreKernels);
        var (refIndices, refCounts) = Reference(x, options);
        Assert.Equal(refCounts, counts);
        for (int row = 0; row < refCounts.Length; row++)
            Assert.Equal(refIndices.AsSpan(row * options.Chunks, refCounts[row]).ToArray(), indices.AsSpan(row * options.Chunks, counts[row]).ToArray());
        Assert.Contains(refCounts, c => c == options.Chunks);     // the tree search ran (middle longer than K)
    }
}
