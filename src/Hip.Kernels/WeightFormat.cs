using ILGPU;

namespace Hip.Kernels;

/// <summary>How a weight matrix is stored on the device.</summary>
public enum WeightFormat
{
    /// <summary>IEEE float32.</summary>
    F32,
    /// <summary>IEEE float16, stored as raw 16-bit patterns.</summary>
    F16,
    /// <summary>bfloat16 (the top 16 bits of a float32), stored as raw 16-bit patterns.</summary>
    BF16,
}

/// <summary>Reads one stored weight element as float32 inside a kernel (a struct, so kernels specialise on it).</summary>
public interface IWeightReader<T> where T : unmanaged
{
    float Read(T stored);
}

/// <summary>float32 weights.</summary>
public struct F32Reader : IWeightReader<float>
{
    public readonly float Read(float stored) => stored;
}

/// <summary>float16 weights stored as bits.</summary>
public struct F16Reader : IWeightReader<ushort>
{
    public readonly float Read(ushort stored) => (float)Interop.IntAsFloat(stored);
}

/// <summary>bfloat16 weights stored as bits.</summary>
public struct BF16Reader : IWeightReader<ushort>
{
    public readonly float Read(ushort stored) => Interop.IntAsFloat((uint)stored << 16);
}

/// <summary>Host-side conversions matching the readers above.</summary>
public static class WeightBits
{
    public static float ToFloat(ushort bits, WeightFormat format) => format switch
    {
        WeightFormat.F16 => (float)BitConverter.UInt16BitsToHalf(bits),
        WeightFormat.BF16 => BitConverter.UInt32BitsToSingle((uint)bits << 16),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "16-bit formats are F16 and BF16."),
    };

    public static ushort FromFloat(float value, WeightFormat format) => format switch
    {
        WeightFormat.F16 => BitConverter.HalfToUInt16Bits((System.Half)value),
        WeightFormat.BF16 => RoundToBFloat16(value),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "16-bit formats are F16 and BF16."),
    };

    private static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);   // round to nearest even
        return (ushort)((bits + rounding) >> 16);
    }
}
