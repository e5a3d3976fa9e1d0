using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class ResidualAddTests
{
    [Theory]
    [InlineData(37)]
    [InlineData(3 * 45)]
    public void ResidualAdd_RandomRows_MatchesReference(int n)
    {
        var x = TestData.Random(n);
        var y = TestData.Random(n);
        var expected = x.ToArray();
        ResidualAdd.Reference(expected, y);

        var a = TestGpu.Kernels.Accelerator;
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(y);
        TestGpu.Kernels.ResidualAdd(xBuffer.View, yBuffer.View, n);
        TestGpu.ThrowIfFaulted();

        // one IEEE fp32 add per element on both sides: bit-identical
        TestData.AssertClose(expected, xBuffer.GetAsArray1D(), 0, 0, "x (in place)");
    }
}
