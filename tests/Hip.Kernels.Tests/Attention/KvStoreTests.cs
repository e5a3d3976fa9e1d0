using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class KvStoreTests
{
    [Theory]
    [InlineData(3, 2, 8, 11, 4)]    // prefill of 3 tokens at position 4
    [InlineData(1, 2, 8, 11, 10)]   // decode into the last slot
    [InlineData(5, 1, 5, 7, 0)]     // odd head size from position 0
    public void KvStore_RandomRows_MatchesReference(int tokens, int kvHeads, int headDim, int capacity, int startPos)
    {
        var k = TestData.Random(tokens * kvHeads * headDim);
        var v = TestData.Random(tokens * kvHeads * headDim);
        var expectedK = TestData.Poison(kvHeads * capacity * headDim);
        var expectedV = TestData.Poison(kvHeads * capacity * headDim);
        KvStore.Reference(k, expectedK, tokens, kvHeads, headDim, capacity, startPos);
        KvStore.Reference(v, expectedV, tokens, kvHeads, headDim, capacity, startPos);

        var a = TestGpu.Kernels.Accelerator;
        using var kBuffer = a.Allocate1D(k);
        using var vBuffer = a.Allocate1D(v);
        using var kCache = a.Allocate1D(TestData.Poison(kvHeads * capacity * headDim));
        using var vCache = a.Allocate1D(TestData.Poison(kvHeads * capacity * headDim));
        TestGpu.Kernels.KvStore(kBuffer.View, vBuffer.View, kCache.View, vCache.View, tokens, kvHeads, headDim, capacity, startPos);
        TestGpu.ThrowIfFaulted();

        // A copy: exact. Slots outside [startPos, startPos + tokens) must still hold the NaN poison.
        AssertSameBits(expectedK, kCache.GetAsArray1D(), "kCache");
        AssertSameBits(expectedV, vCache.GetAsArray1D(), "vCache");
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }
}
