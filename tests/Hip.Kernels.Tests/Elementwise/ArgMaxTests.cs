using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class ArgMaxTests
{
    private const int Poison = -1;

    [Theory]
    [InlineData(KernelVariant.Grouped, 1)]
    [InlineData(KernelVariant.Grouped, 45)]
    [InlineData(KernelVariant.Grouped, 1000)]   // many values per lane
    [InlineData(KernelVariant.PerThread, 1)]
    [InlineData(KernelVariant.PerThread, 1000)]
    public void ArgMax_RandomValues_MatchesReference(KernelVariant variant, int n)
    {
        var values = TestData.Random(n);
        Assert.Equal(ArgMax.Reference(values), Run(variant, values, slots: 1, slot: 0)[0]);
    }

    [Theory]
    [InlineData(KernelVariant.Grouped, 45, 3, 40)]      // tie across lanes
    [InlineData(KernelVariant.Grouped, 45, 5, 37)]      // one lane's stride in a 32-thread group (the CPU accelerator)
    [InlineData(KernelVariant.Grouped, 300, 3, 259)]    // one lane's stride in a 256-thread group (CUDA)
    [InlineData(KernelVariant.Grouped, 300, 299, 2)]    // the later one seen first by the reduction order
    [InlineData(KernelVariant.Grouped, 300, 31, 32)]    // neighbours in different lanes
    [InlineData(KernelVariant.PerThread, 45, 3, 40)]
    [InlineData(KernelVariant.PerThread, 300, 299, 2)]
    public void ArgMax_TiedMaximum_LowerIndexWins(KernelVariant variant, int n, int first, int second)
    {
        var values = TestData.Random(n);
        values[first] = values[second] = 2f;   // above every random value
        int expected = Math.Min(first, second);
        Assert.Equal(expected, ArgMax.Reference(values));
        Assert.Equal(expected, Run(variant, values, slots: 1, slot: 0)[0]);
    }

    [Theory]
    [InlineData(KernelVariant.Grouped)]
    [InlineData(KernelVariant.PerThread)]
    public void ArgMax_AllEqual_ReturnsZero(KernelVariant variant)
    {
        var values = new float[70];
        Array.Fill(values, -0.5f);
        Assert.Equal(0, Run(variant, values, slots: 1, slot: 0)[0]);
    }

    [Theory]
    [InlineData(KernelVariant.Grouped)]
    [InlineData(KernelVariant.PerThread)]
    public void ArgMax_Slot_WritesOnlyThatSlot(KernelVariant variant)
    {
        var values = TestData.Random(45);
        var result = Run(variant, values, slots: 4, slot: 2);
        Assert.Equal([Poison, Poison, ArgMax.Reference(values), Poison], result);
    }

    [Theory]
    [InlineData(KernelVariant.Grouped, float.NaN)]
    [InlineData(KernelVariant.PerThread, float.NaN)]
    [InlineData(KernelVariant.Grouped, float.NegativeInfinity)]
    [InlineData(KernelVariant.PerThread, float.NegativeInfinity)]
    public void ArgMax_NoValueComparesGreater_ReturnsZeroNotOutOfRange(KernelVariant variant, float fill)
    {
        var values = new float[70];
        Array.Fill(values, fill);
        Assert.Equal(0, ArgMax.Reference(values));
        Assert.Equal(0, Run(variant, values, slots: 1, slot: 0)[0]);
    }

    [Theory]
    [InlineData(KernelVariant.Grouped, 300, 37, 250)]
    [InlineData(KernelVariant.Grouped, 300, 290, 3)]
    [InlineData(KernelVariant.PerThread, 300, 37, 250)]
    public void ArgMax_NaNAmongValues_RanksAsInfinityFirstWins(KernelVariant variant, int n, int nan, int infinity)
    {
        var values = TestData.Random(n);
        values[nan] = float.NaN;
        values[infinity] = float.PositiveInfinity;
        int expected = Math.Min(nan, infinity);
        Assert.Equal(expected, ArgMax.Reference(values));
        Assert.Equal(expected, Run(variant, values, slots: 1, slot: 0)[0]);
    }

    private static int[] Run(KernelVariant variant, float[] values, int slots, int slot)
    {
        var a = TestGpu.Kernels.Accelerator;
        using var valueBuffer = a.Allocate1D(values);
        var initial = new int[slots];
        Array.Fill(initial, Poison);
        using var resultBuffer = a.Allocate1D(initial);
        TestGpu.KernelsOf(variant).ArgMax(valueBuffer.View, values.Length, resultBuffer.View, slot);
        TestGpu.ThrowIfFaulted();
        return resultBuffer.GetAsArray1D();
    }
}
