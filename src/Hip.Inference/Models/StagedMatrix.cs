using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Hip.Kernels;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// Collects a matrix's raw rows on the host and uploads it once complete (F32, F16, BF16 as they are; Q8_0 expanded to
/// F32). Stands in for the block-format device matrices until the kernels read quantized blocks directly.
/// </summary>
internal sealed class StagedMatrix(Accelerator accelerator, GgmlType type, int rows, int cols)
{
    private readonly byte[] _raw = new byte[checked(rows * RowBytes(type, cols))];
    private int _rowsDone;

    public DeviceMatrix Result { get; private set; } = null!;

    private static long RowBytes(GgmlType type, int cols)
    {
        var (values, bytes) = GgmlTypes.Block(type) ?? throw new InvalidDataException($"{type} is not supported.");
        return cols / values * (long)bytes;
    }

    public void CopyRowsFromHost(int firstRow, ReadOnlySpan<byte> raw)
    {
        long rowBytes = RowBytes(type, cols);
        raw.CopyTo(_raw.AsSpan((int)(firstRow * rowBytes)));
        _rowsDone += (int)(raw.Length / rowBytes);
        if (_rowsDone < rows)
            return;
        Result = type switch
        {
            GgmlType.F32 => DeviceMatrix.FromFloats(accelerator, MemoryMarshal.Cast<byte, float>(_raw), rows, cols),
            GgmlType.F16 => DeviceMatrix.FromBits(accelerator, MemoryMarshal.Cast<byte, ushort>(_raw), rows, cols, WeightFormat.F16),
            GgmlType.BF16 => DeviceMatrix.FromBits(accelerator, MemoryMarshal.Cast<byte, ushort>(_raw), rows, cols, WeightFormat.BF16),
            GgmlType.Q8_0 => DeviceMatrix.FromFloats(accelerator, DequantizeQ8_0(_raw), rows, cols),
            _ => throw new InvalidDataException($"{type} matrices cannot be loaded yet; supported: F32, F16, BF16, Q8_0."),
        };
    }

    private static float[] DequantizeQ8_0(byte[] raw)
    {
        var values = new float[raw.Length / 34 * 32];
        for (int b = 0; b < raw.Length / 34; b++)
        {
            var block = raw.AsSpan(b * 34, 34);
            float d = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block));
            for (int i = 0; i < 32; i++)
                values[b * 32 + i] = (sbyte)block[2 + i] * d;
        }
        return values;
    }
}
