using Xunit;

namespace Hip.Kernels.Tests;

public sealed class WeightBitsTests
{
    [Theory]
    [InlineData(1f, 0x3C00)]
    [InlineData(-2f, 0xC000)]
    [InlineData(65504f, 0x7BFF)]                 // largest finite half
    [InlineData(5.9604645e-8f, 0x0001)]          // smallest subnormal half
    [InlineData(float.PositiveInfinity, 0x7C00)]
    public void FromFloat_F16_GivesIeeeHalf(float value, int expectedBits)
    {
        ushort bits = WeightBits.FromFloat(value, WeightFormat.F16);
        Assert.Equal((ushort)expectedBits, bits);
        Assert.Equal(value, WeightBits.ToFloat(bits, WeightFormat.F16));
    }

    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(-2f, 0xC000)]
    [InlineData(1.00390625f, 0x3F80)]            // 1 + 2^-8: halfway, rounds to the even 0x3F80
    [InlineData(1.01171875f, 0x3F82)]            // 1 + 3·2^-8: halfway, rounds to the even 0x3F82
    [InlineData(1.0040f, 0x3F81)]                // just above halfway: rounds up
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(3.3895314e38f, 0x7F7F)]          // largest finite bfloat16 stays finite
    public void FromFloat_BF16_RoundsToNearestEven(float value, int expectedBits)
    {
        Assert.Equal((ushort)expectedBits, WeightBits.FromFloat(value, WeightFormat.BF16));
    }

    [Fact]
    public void FromFloat_BF16NaN_StaysNaN()
    {
        ushort bits = WeightBits.FromFloat(float.NaN, WeightFormat.BF16);
        Assert.True(float.IsNaN(WeightBits.ToFloat(bits, WeightFormat.BF16)));
        // a signalling NaN whose payload sits in the low bits must not round to infinity
        float signalling = BitConverter.UInt32BitsToSingle(0x7F800001);
        Assert.True(float.IsNaN(WeightBits.ToFloat(WeightBits.FromFloat(signalling, WeightFormat.BF16), WeightFormat.BF16)));
    }

    [Theory]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.BF16)]
    public void ToFloat_EveryPattern_RoundTrips(WeightFormat format)
    {
        for (int i = 0; i <= ushort.MaxValue; i++)
        {
            float value = WeightBits.ToFloat((ushort)i, format);
            if (!float.IsNaN(value))
                Assert.Equal((ushort)i, WeightBits.FromFloat(value, format));
        }
    }

    [Fact]
    public void ToFloat_F32_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightBits.ToFloat(0, WeightFormat.F32));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightBits.FromFloat(0f, WeightFormat.F32));
    }
}
