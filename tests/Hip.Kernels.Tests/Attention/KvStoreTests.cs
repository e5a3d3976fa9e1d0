using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class KvStoreTests
{
    [Theory]
    [InlineData(3, 2, 8, 11, 4)]     // prefill of 3 tokens at position 4
    [InlineData(1, 2, 8, 11, 10)]    // decode into the last slot
    [InlineData(5, 1, 5, 7, 0)]      // odd head size from position 0
    [InlineData(4, 2, 4, 130, 62)]   // crosses from block 0 into block 1
    public void KvStore_RandomRowsF32_MatchesReference(int tokens, int kvHeads, int headDim, int capacity, int startPos)
    {
        var k = TestData.Random(tokens * kvHeads * headDim);
        var v = TestData.Random(tokens * kvHeads * headDim);
        long elements = KvLayout.LayerElements(capacity, kvHeads, headDim);
        var expectedK = TestData.Poison((int)elements);
        var expectedV = TestData.Poison((int)elements);
        KvStore.Reference(k, expectedK, tokens, kvHeads, headDim, startPos);
        KvStore.Reference(v, expectedV, tokens, kvHeads, headDim, startPos);

        var a = TestGpu.Kernels.Accelerator;
        using var kBuffer = a.Allocate1D(k);
        using var vBuffer = a.Allocate1D(v);
        using var kCache = a.Allocate1D(TestData.Poison((int)elements));
        using var vCache = a.Allocate1D(TestData.Poison((int)elements));
        TestGpu.Kernels.KvStore(kBuffer.View, vBuffer.View, KvLayer.F32(kCache.View, vCache.View, capacity), tokens, kvHeads, headDim, startPos);
        TestGpu.ThrowIfFaulted();

        // A copy: exact. Slots outside [startPos, startPos + tokens) must still hold the NaN poison.
        AssertSameBits(expectedK, kCache.GetAsArray1D(), "kCache");
        AssertSameBits(expectedV, vCache.GetAsArray1D(), "vCache");
    }

    [Theory]
    [InlineData(3, 2, 8, 70, 60, false)]   // prefill across a block boundary, position as an argument
    [InlineData(1, 2, 8, 70, 64, true)]    // decode at the first slot of block 1, position read from the device
    public void KvStore_RandomRowsF16_StoresHalfRoundedToNearestEven(int tokens, int kvHeads, int headDim, int capacity, int startPos, bool onDevice)
    {
        // values spread over several binades, so rounding (not just truncation) matters
        var k = TestData.Random(tokens * kvHeads * headDim, scale: 40f, seed: 5);
        var v = TestData.Random(tokens * kvHeads * headDim, scale: 0.01f, seed: 6);
        int elements = (int)KvLayout.LayerElements(capacity, kvHeads, headDim);
        var expectedK = Enumerable.Repeat(KvTestCache.HalfNaN, elements).ToArray();
        var expectedV = Enumerable.Repeat(KvTestCache.HalfNaN, elements).ToArray();
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < kvHeads; g++)
                for (int d = 0; d < headDim; d++)
                {
                    int src = (t * kvHeads + g) * headDim + d, dst = (int)(KvLayout.Row(startPos + t, g, kvHeads) * headDim) + d;
                    expectedK[dst] = KvF16Element.ToBits(k[src]);   // System.Half: IEEE round to nearest even
                    expectedV[dst] = KvF16Element.ToBits(v[src]);
                }

        var a = TestGpu.Kernels.Accelerator;
        using var kBuffer = a.Allocate1D(k);
        using var vBuffer = a.Allocate1D(v);
        using var kCache = a.Allocate1D(Enumerable.Repeat(KvTestCache.HalfNaN, elements).ToArray());
        using var vCache = a.Allocate1D(Enumerable.Repeat(KvTestCache.HalfNaN, elements).ToArray());
        using var position = a.Allocate1D(new[] { startPos });
        TestGpu.Kernels.KvStore(kBuffer.View, vBuffer.View, KvLayer.F16(kCache.View, vCache.View, capacity), tokens, kvHeads, headDim,
            onDevice ? KvPosition.OnDevice : startPos, position.View);
        TestGpu.ThrowIfFaulted();

        Assert.Equal(expectedK, kCache.GetAsArray1D());   // bit for bit, poison included
        Assert.Equal(expectedV, vCache.GetAsArray1D());
    }

    [Fact]
    public void RoundToHalf_EveryClassOfFloat_EqualsSystemHalf()
    {
        // the integer rounding the F16 kernels use, against .NET's IEEE conversion: ties, subnormals, overflow, NaN
        var random = new Random(12);
        var values = new List<float> { 0f, -0f, 1f, 65504f, 65519.99f, 65520f, 1e9f, float.PositiveInfinity, float.NegativeInfinity,
            float.NaN, 6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.98023259e-8f, 8.940697e-8f, 1e-10f, 1.00048828125f, 1.00146484375f };
        for (int i = 0; i < 20000; i++)
            values.Add(BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1));
        foreach (float v in values)
        {
            ushort expected = KvF16Element.ToBits(v), actual = KvF16Element.RoundToHalf(BitConverter.SingleToUInt32Bits(v));
            if (float.IsNaN(v))
                Assert.True((actual & 0x7C00) == 0x7C00 && (actual & 0x03FF) != 0, $"NaN became {actual:X4}");
            else
                Assert.True(expected == actual, $"{v:R}: {actual:X4}, expected {expected:X4}");
        }
    }

    [Fact]
    public void AdvancePosition_ThreeSteps_AddsThree()
    {
        var a = TestGpu.Kernels.Accelerator;
        using var position = a.Allocate1D(new[] { 41 });
        for (int i = 0; i < 3; i++)
            TestGpu.Kernels.AdvancePosition(position.View);
        TestGpu.ThrowIfFaulted();
        Assert.Equal(44, position.GetAsArray1D()[0]);
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }
}
