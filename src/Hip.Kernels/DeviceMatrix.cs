using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>A row-major weight matrix on the device: [Rows, Cols], Cols contiguous (PyTorch's (out, in) layout).</summary>
public sealed class DeviceMatrix : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _f32;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _bits;

    public int Rows { get; }
    public int Cols { get; }
    public WeightFormat Format { get; }
    public long ElementCount => (long)Rows * Cols;
    public long SizeInBytes => ElementCount * (Format == WeightFormat.F32 ? 4 : 2);

    private DeviceMatrix(int rows, int cols, WeightFormat format,
        MemoryBuffer1D<float, Stride1D.Dense>? f32, MemoryBuffer1D<ushort, Stride1D.Dense>? bits)
    {
        Rows = rows;
        Cols = cols;
        Format = format;
        _f32 = f32;
        _bits = bits;
    }

    /// <summary>Uploads float32 data [rows, cols].</summary>
    public static DeviceMatrix FromFloats(Accelerator accelerator, ReadOnlySpan<float> data, int rows, int cols)
    {
        CheckShape(data.Length, rows, cols);
        var buffer = accelerator.Allocate1D<float>(data.Length);
        buffer.View.BaseView.CopyFromCPU(data);
        return new DeviceMatrix(rows, cols, WeightFormat.F32, buffer, null);
    }

    /// <summary>Uploads 16-bit patterns (F16 or BF16) [rows, cols] as they are.</summary>
    public static DeviceMatrix FromBits(Accelerator accelerator, ReadOnlySpan<ushort> data, int rows, int cols, WeightFormat format)
    {
        if (format == WeightFormat.F32)
            throw new ArgumentException("16-bit data needs format F16 or BF16.", nameof(format));
        CheckShape(data.Length, rows, cols);
        var buffer = accelerator.Allocate1D<ushort>(data.Length);
        buffer.View.BaseView.CopyFromCPU(data);
        return new DeviceMatrix(rows, cols, format, null, buffer);
    }

    private static void CheckShape(int length, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if ((long)rows * cols != length)
            throw new ArgumentException($"Matrix data has {length} elements, expected {rows} x {cols} = {(long)rows * cols}.");
    }

    /// <summary>The float32 storage; only for <see cref="WeightFormat.F32"/>.</summary>
    public ArrayView<float> Floats => _f32?.View ?? throw new InvalidOperationException($"Matrix is {Format}, not F32.");

    /// <summary>The 16-bit storage; only for F16 and BF16.</summary>
    public ArrayView<ushort> Bits => _bits?.View ?? throw new InvalidOperationException("Matrix is F32, not 16-bit.");

    /// <summary>Reads the whole matrix back as float32 (tests and tools; not for the hot path).</summary>
    public float[] ToFloats()
    {
        if (_f32 is not null)
            return _f32.GetAsArray1D();
        var bits = _bits!.GetAsArray1D();
        var result = new float[bits.Length];
        for (int i = 0; i < bits.Length; i++)
            result[i] = WeightBits.ToFloat(bits[i], Format);
        return result;
    }

    public void Dispose()
    {
        _f32?.Dispose();
        _bits?.Dispose();
    }
}
