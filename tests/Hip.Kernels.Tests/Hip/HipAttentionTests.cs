using Hip.Kernels;
using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using static Hip.Kernels.Tests.Hip.HipTestData;

namespace Hip.Kernels.Tests.Hip;

public class HipAttentionTests
{
    // Exactness tolerance: 1e-5 relative + 1e-6 absolute against the double dense reference. The kernel runs an fp32 online
    // softmax (on CUDA MathF.Exp is ex2.approx, ~2 ulp), which stays well inside this over the ≤ 100 keys used here.
    private const double ExactRelative = 1e-5, ExactAbsolute = 1e-6;

    [Theory]
    [InlineData(64)]    // middle of the last block (52 keys = 26 blocks) fits in Kc = 32
    [InlineData(128)]   // K ≥ the whole context
    public void Run_PrefillMiddleFitsInK_EqualsDense(int k)
    {
        var options = Small with { K = k };
        var x = Layer.Random(24, 4, 2, 16, 80, 40, seed: 31);
        TestData.AssertClose(DenseReference(x), RunHip(x, options), ExactAbsolute, ExactRelative, "HiP prefill vs dense");
    }

    [Fact]
    public void Run_DecodeMiddleFitsInK_EqualsDense()
    {
        var options = Small with { K = 64 };
        var x = Layer.Random(1, 4, 2, 16, 80, 63, seed: 32);
        TestData.AssertClose(DenseReference(x), RunHip(x, options), ExactAbsolute, ExactRelative, "HiP decode vs dense");
    }

    [Fact]
    public void Run_Prefill_EqualsReferenceMaskAndAttention()
    {
        // tolerance as the block-sparse kernel test: 1e-4 relative + 1e-6 absolute
        var options = Small;
        var x = Layer.Random(24, 4, 2, 16, 160, 120, seed: 33);
        var (indices, counts) = ReferenceMask(x, options);
        TestData.AssertClose(ReferenceAttention(x, indices, counts, options), RunHip(x, options), 1e-6, 1e-4, "HiP prefill");
    }

    [Fact]
    public void Run_DenseLayer_EqualsDense()
    {
        // the dense kernel's fp32 sum over 32 keys: 1e-4 relative + 1e-6 absolute
        var options = Small with { DenseLayers = 1 };
        var x = Layer.Random(2, 2, 1, 16, 40, 30, seed: 34);
        TestData.AssertClose(DenseReference(x), RunHip(x, options, layer: 0), 1e-6, 1e-4, "dense layer");
    }

    [Fact]
    public void Run_DecodeRefreshEveryStep_EqualsPrefillStyleMask()
    {
        var options = Small with { RefreshInterval = 1 };
        var cache = Layer.Random(1, 4, 2, 16, 200, 0, seed: 35);
        using var hip = new HipAttention(TestGpu.Kernels, options, layerCount: 1, heads: 4);
        using var kv = new DeviceLayer(cache);
        for (int position = 150; position < 153; position++)
        {
            var x = cache with { Q = TestData.Random(cache.Q.Length, 1f, position), StartPos = position };
            var actual = kv.Run(hip, x, layer: 0);
            var (indices, counts) = ReferenceMask(x, options);   // one query: a one-query block at this position
            Assert.Equal(counts, ToArray(hip.State.Counts(0)));
            AssertSameRows(indices, counts, ToArray(hip.State.Indices(0)), options.Chunks);
            TestData.AssertClose(ReferenceAttention(x, indices, counts, options), actual, 1e-6, 1e-4, $"decode at {position}");
        }
    }

    [Fact]
    public void Run_DecodeCached_EqualsAttentionWithCachedIndicesAndCurrentWindow()
    {
        var options = Small with { RefreshInterval = 3 };
        var cache = Layer.Random(1, 4, 2, 16, 200, 0, seed: 36);
        using var hip = new HipAttention(TestGpu.Kernels, options, layerCount: 1, heads: 4);
        using var kv = new DeviceLayer(cache);
        int[] cachedIndices = [], cachedCounts = [];
        for (int position = 150; position < 154; position++)
        {
            var x = cache with { Q = TestData.Random(cache.Q.Length, 1f, 100 + position), StartPos = position };
            var actual = kv.Run(hip, x, layer: 0);
            bool refreshed = (position - 150) % options.RefreshInterval == 0;
            if (refreshed)
            {
                (cachedIndices, cachedCounts) = ReferenceMask(x, options);
                AssertSameRows(cachedIndices, cachedCounts, ToArray(hip.State.Indices(0)), options.Chunks);
            }
            // the mask of the last refresh (here: position 150, then 153) with this step's window
            TestData.AssertClose(ReferenceAttention(x, cachedIndices, cachedCounts, options), actual, 1e-6, 1e-4,
                $"decode at {position} (refreshed: {refreshed})");
        }
    }

    private static void AssertSameRows(int[] expected, int[] counts, int[] actual, int chunks)
    {
        for (int row = 0; row < counts.Length; row++)
            Assert.Equal(expected.AsSpan(row * chunks, counts[row]).ToArray(), actual.AsSpan(row * chunks, counts[row]).ToArray());
    }

    private static int[] ToArray(ArrayView<int> view) => ((ArrayView1D<int, Stride1D.Dense>)view).GetAsArray1D();

    private static float[] RunHip(Layer x, HipAttentionOptions options, int layer = 0)
    {
        using var hip = new HipAttention(TestGpu.Kernels, options, layerCount: layer + 1, heads: x.Heads);
        using var kv = new DeviceLayer(x);
        return kv.Run(hip, x, layer);
    }

    // one layer's K/V cache on the device; q and o per call
    private sealed class DeviceLayer(Layer x) : IDisposable
    {
        private readonly MemoryBuffer1D<float, Stride1D.Dense> _k = HipTestData.Accelerator.Allocate1D(x.K);
        private readonly MemoryBuffer1D<float, Stride1D.Dense> _v = HipTestData.Accelerator.Allocate1D(x.V);

        public float[] Run(HipAttention hip, Layer step, int layer)
        {
            using var q = HipTestData.Accelerator.Allocate1D(step.Q);
            using var o = HipTestData.Accelerator.Allocate1D<float>(step.Q.Length);
            hip.Run(layer, q.View, _k.View, _v.View, o.View, step.Tokens, step.Heads, step.KvHeads, step.HeadDim, step.Capacity,
                step.StartPos, step.Scale);
            TestGpu.ThrowIfFaulted();
            return o.GetAsArray1D();
        }

        public void Dispose()
        {
            _k.Dispose();
            _v.Dispose();
        }
    }
}
