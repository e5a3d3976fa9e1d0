using Hip.TestSupport;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class DeviceMatrixTests
{
    [Theory]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.BF16)]
    public void ToFloats_SixteenBit_GivesConvertedValues(WeightFormat format)
    {
        var bits = TestData.Random(3 * 5).Select(v => WeightBits.FromFloat(v, format)).ToArray();
        using var matrix = DeviceMatrix.FromBits(TestGpu.Kernels.Accelerator, bits, 3, 5, format);

        Assert.Equal((3, 5, format, 30L), (matrix.Rows, matrix.Cols, matrix.Format, matrix.SizeInBytes));
        Assert.Equal(bits.Select(b => WeightBits.ToFloat(b, format)), matrix.ToFloats());
        Assert.Throws<InvalidOperationException>(() => matrix.Floats);
    }

    [Fact]
    public void FromFloats_RoundTrips()
    {
        var values = TestData.Random(2 * 7);
        using var matrix = DeviceMatrix.FromFloats(TestGpu.Kernels.Accelerator, values, 2, 7);

        Assert.Equal(56L, matrix.SizeInBytes);
        Assert.Equal(values, matrix.ToFloats());
        Assert.Throws<InvalidOperationException>(() => matrix.Bits);
    }

    [Fact]
    public void FromFloats_WrongLength_ThrowsWithShape()
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceMatrix.FromFloats(TestGpu.Kernels.Accelerator, new float[10], 3, 4));
        Assert.Contains("3 x 4", error.Message);
    }

    [Fact]
    public void FromBits_F32Format_Throws()
    {
        Assert.Throws<ArgumentException>(() => DeviceMatrix.FromBits(TestGpu.Kernels.Accelerator, new ushort[4], 2, 2, WeightFormat.F32));
    }
}
