using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// A weight in host memory, row-major [Rows, Cols] with Cols contiguous (a vector has Rows = 1). F32 data lives in
/// <see cref="Floats"/>; F16 and BF16 data stay as raw 16-bit patterns in <see cref="Bits"/>.
/// </summary>
public sealed class HostTensor
{
    /// <summary>The tensor's name in the file (GGUF name, or the llama2.c array name with the layer).</summary>
    public required string Name { get; init; }

    /// <summary>Number of rows (output features of a matrix; 1 for a vector).</summary>
    public required int Rows { get; init; }

    /// <summary>Number of contiguous columns (input features of a matrix).</summary>
    public required int Cols { get; init; }

    /// <summary>How the elements are stored: F32 in <see cref="Floats"/>, F16/BF16 in <see cref="Bits"/>.</summary>
    public required WeightFormat Format { get; init; }

    /// <summary>The elements when <see cref="Format"/> is F32. [Rows * Cols]</summary>
    public float[]? Floats { get; init; }

    /// <summary>The raw 16-bit elements when <see cref="Format"/> is F16 or BF16. [Rows * Cols]</summary>
    public ushort[]? Bits { get; init; }

    /// <summary>Rows * Cols.</summary>
    public long ElementCount => (long)Rows * Cols;

    /// <summary>An F32 tensor over <paramref name="values"/> (not copied).</summary>
    public static HostTensor FromFloats(string name, int rows, int cols, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckShape(name, rows, cols, values.Length);
        return new HostTensor { Name = name, Rows = rows, Cols = cols, Format = WeightFormat.F32, Floats = values };
    }

    /// <summary>An F16 or BF16 tensor over <paramref name="bits"/> (not copied).</summary>
    public static HostTensor FromBits(string name, int rows, int cols, WeightFormat format, ushort[] bits)
    {
        ArgumentNullException.ThrowIfNull(bits);
        if (format == WeightFormat.F32)
            throw new ArgumentOutOfRangeException(nameof(format), format, "16-bit formats are F16 and BF16.");
        CheckShape(name, rows, cols, bits.Length);
        return new HostTensor { Name = name, Rows = rows, Cols = cols, Format = format, Bits = bits };
    }

    /// <summary>The elements as float32: the stored array itself for F32, a converted copy for F16/BF16.</summary>
    public float[] ToFloats()
    {
        if (Format == WeightFormat.F32)
            return Floats ?? throw new InvalidOperationException($"Tensor '{Name}' is F32 but has no float data.");
        var bits = Bits ?? throw new InvalidOperationException($"Tensor '{Name}' is {Format} but has no 16-bit data.");
        var values = new float[bits.Length];
        for (int i = 0; i < bits.Length; i++)
            values[i] = WeightBits.ToFloat(bits[i], Format);
        return values;
    }

    /// <summary>This tensor as F32 (itself when it already is).</summary>
    public HostTensor ToF32() =>
        Format == WeightFormat.F32 ? this : FromFloats(Name, Rows, Cols, ToFloats());

    public override string ToString() => $"{Name} [{Rows}, {Cols}] {Format}";

    private static void CheckShape(string name, int rows, int cols, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if ((long)rows * cols != length)
            throw new ArgumentException($"Tensor '{name}' [{rows}, {cols}] needs {(long)rows * cols} elements, got {length}.");
    }
}
