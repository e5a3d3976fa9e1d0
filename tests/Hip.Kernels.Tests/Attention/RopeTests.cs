using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class RopeTests
{
    // cos/sin come from host tables (double, rounded to float), so only fp32 rounding of one rotation: ~1e-5.
    private const double Absolute = 1e-5, Relative = 1e-5;
    private const double Theta = 10000.0;

    [Theory]
    [InlineData(RopeLayout.Interleaved, 3, 5, 4, 2, 8)]    // prefill at a nonzero start, GQA
    [InlineData(RopeLayout.RotateHalf, 3, 5, 4, 2, 8)]
    [InlineData(RopeLayout.Interleaved, 1, 17, 2, 1, 6)]   // decode; half = 3 is not a power of two
    [InlineData(RopeLayout.RotateHalf, 1, 17, 2, 1, 6)]
    public void Rope_RandomHeads_MatchesReference(RopeLayout layout, int tokens, int startPos, int heads, int kvHeads, int headDim)
    {
        var q = TestData.Random(tokens * heads * headDim);
        var k = TestData.Random(tokens * kvHeads * headDim);
        var expectedQ = q.ToArray();
        var expectedK = k.ToArray();
        Rope.Reference(expectedQ, tokens, heads, headDim, startPos, layout, Theta);
        Rope.Reference(expectedK, tokens, kvHeads, headDim, startPos, layout, Theta);
        var (cos, sin) = Rope.Tables(startPos + tokens, headDim, Theta);

        var a = TestGpu.Kernels.Accelerator;
        using var qBuffer = a.Allocate1D(q);
        using var kBuffer = a.Allocate1D(k);
        using var cosBuffer = a.Allocate1D(cos);
        using var sinBuffer = a.Allocate1D(sin);
        TestGpu.Kernels.Rope(qBuffer.View, kBuffer.View, cosBuffer.View, sinBuffer.View, tokens, heads, kvHeads, headDim, startPos, layout);
        TestGpu.ThrowIfFaulted();

        // in place: every element of q and k is rotated, so each one differs from its input
        TestData.AssertClose(expectedQ, qBuffer.GetAsArray1D(), Absolute, Relative, $"q ({layout})");
        TestData.AssertClose(expectedK, kBuffer.GetAsArray1D(), Absolute, Relative, $"k ({layout})");
    }

    [Fact]
    public void Tables_PositionZero_IsIdentityRotation()
    {
        var (cos, sin) = Rope.Tables(positions: 3, headDim: 8, Theta);

        Assert.Equal(3 * 4, cos.Length);
        Assert.All(cos.Take(4), c => Assert.Equal(1f, c));
        Assert.All(sin.Take(4), s => Assert.Equal(0f, s));
        Assert.Equal((float)Math.Cos(2.0), cos[2 * 4], 6);   // position 2, pair 0: frequency 1
    }
}
