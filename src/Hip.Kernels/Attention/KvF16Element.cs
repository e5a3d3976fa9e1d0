using ILGPU;

namespace Hip.Kernels;

/// <summary>KV elements stored as IEEE float16 bits (<see cref="KvPrecision.F16"/>); ILGPU.Half converts (cvt.rn on CUDA).</summary>
public struct KvF16Element : IKvElement<ushort>
{
    /// <inheritdoc/>
    public readonly float Read(ushort stored) => (float)Interop.IntAsFloat(stored);

    /// <inheritdoc/>
    public readonly ushort Write(float value) => Interop.FloatAsInt((ILGPU.Half)value);

    /// <summary>The host's rounding of a float to float16 bits (System.Half, round to nearest even), for references and tests.</summary>
    public static ushort ToBits(float value) => BitConverter.HalfToUInt16Bits((System.Half)value);

    /// <summary>The host's float of float16 bits.</summary>
    public static float FromBits(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
