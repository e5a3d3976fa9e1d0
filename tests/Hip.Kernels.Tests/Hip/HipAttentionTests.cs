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

    [Theory]
    [InlineData(KvPrecision.F32)]
    [InlineData(KvPrecision.F16)]
    public void Run_Prefill_EqualsReferenceMaskAndAttention(KvPrecision precision)
    {
        // tolerance as the block-sparse kernel test: 1e-4 relative + 1e-6 absolute (F16: reference on the same half-rounded K/V)
        var options = Small;
        var x = Layer.Random(24, 4, 2, 16, 160, 120, seed: 33, precision);
        var (indices, counts) = ReferenceMask(x, options);
        TestData.AssertClose(ReferenceAttention(x, indices, counts, options), RunHip(x, options), 1e-6, 1e-4, "HiP prefill");
    }

    [Theory]
    [InlineData(KvPrecision.F32)]
    [InlineData(KvPrecision.F16)]
    public void Run_DecodeWithDevicePosition_EqualsHostPositions(KvPrecision precision)
    {
        // Graph-replayable decode: every step the same call (startPos OnDevice, the device position advanced after it),
        // the mask refresh decided on the device. Against the same steps with host positions: bit-identical outputs and
        // masks (same kernels, same split count); refreshes at 150 and 153 (RefreshInterval 3 past the origin 150).
        var options = Small with { RefreshInterval = 3 };
        var cache = Layer.Random(1, 4, 2, 16, 200, 0, seed: 37, precision);
        using var onDevice = new HipAttention(TestGpu.Kernels, options, layerCount: 2, heads: 4);
        using var onHost = new HipAttention(TestGpu.Kernels, options, layerCount: 2, heads: 4);
        using var kv = cache.Upload();
        using var position = HipTestData.Accelerator.Allocate1D(new[] { 150 });
        using var q = HipTestData.Accelerator.Allocate1D<float>(cache.Q.Length);
        using var oDevice = HipTestData.Accelerator.Allocate1D<float>(cache.Q.Length);
        using var oHost = HipTestData.Accelerator.Allocate1D<float>(cache.Q.Length);
        for (int step = 0; step < 5; step++)
        {
            q.CopyFromCPU(TestData.Random(cache.Q.Length, 1f, 300 + step));
            onDevice.Run(1, q.View, kv.Layer, oDevice.View, 1, 4, 2, 16, KvPosition.OnDevice, cache.Scale, position.View);
            TestGpu.Kernels.AdvancePosition(position.View);
            onHost.Run(1, q.View, kv.Layer, oHost.View, 1, 4, 2, 16, 150 + step, cache.Scale);
            TestGpu.ThrowIfFaulted();
            Assert.Equal(oHost.GetAsArray1D(), oDevice.GetAsArray1D());
            var counts = ToArray(onHost.State.Counts(1));
            Assert.Equal(counts, ToArray(onDevice.State.Counts(1)));
            AssertSameRows(ToArray(onHost.State.Indices(1)), counts, ToArray(onDevice.State.Indices(1)), options.Chunks);
            Assert.Equal(150, ToArray(onDevice.State.Origins)[1]);   // refreshes at 150 + 3n
        }
        Assert.Equal(155, ToArray(position.View)[0]);
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
        private readonly KvTestCache _kv = x.Upload();

        public float[] Run(HipAttention hip, Layer step, int layer)
        {
            using var q = HipTestData.Accelerator.Allocate1D(step.Q);
            using var o = HipTestData.Accelerator.Allocate1D<float>(step.Q.Length);
            hip.Run(layer, q.View, _kv.Layer, o.View, step.Tokens, step.Heads, step.KvHeads, step.HeadDim, step.StartPos, step.Scale);
            TestGpu.ThrowIfFaulted();
            return o.GetAsArray1D();
        }

        public void Dispose() => _kv.Dispose();
    }
}
