using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class SwiGluTests
{
    // silu uses the GPU's approximate exp (ex2.approx) against a double reference: 1e-4 relative.
    private const double Absolute = 1e-6, Relative = 1e-4;

    [Theory]
    [InlineData(37)]
    [InlineData(3 * 45)]
    public void SwiGlu_RandomGateAndUp_MatchesReference(int n)
    {
        var gate = TestData.Random(n, scale: 8f);   // reaches both tails of the sigmoid
        var up = TestData.Random(n);
        var expected = gate.ToArray();
        SwiGlu.Reference(expected, up);

        var a = TestGpu.Kernels.Accelerator;
        using var gateBuffer = a.Allocate1D(gate);
        using var upBuffer = a.Allocate1D(up);
        TestGpu.Kernels.SwiGlu(gateBuffer.View, upBuffer.View, n);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, gateBuffer.GetAsArray1D(), Absolute, Relative, "gate (in place)");
    }

    [Fact]
    public void SwiGlu_FirstElementsOnly_LeavesTailUntouched()
    {
        const int n = 37, length = 45;
        var gate = TestData.Random(length);
        var up = TestData.Random(length);
        var expected = gate.ToArray();
        SwiGlu.Reference(expected.AsSpan(0, n), up.AsSpan(0, n));

        var a = TestGpu.Kernels.Accelerator;
        using var gateBuffer = a.Allocate1D(gate);
        using var upBuffer = a.Allocate1D(up);
        TestGpu.Kernels.SwiGlu(gateBuffer.View, upBuffer.View, n);
        TestGpu.ThrowIfFaulted();

        var actual = gateBuffer.GetAsArray1D();
        TestData.AssertClose(expected, actual, Absolute, Relative, "gate");
        Assert.Equal(gate[n..], actual[n..]);   // past n: not touched at all
    }
}
