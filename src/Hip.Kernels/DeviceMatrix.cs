using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// A row-major weight matrix on the device: [Rows, Cols], Cols contiguous (PyTorch's (out, in) layout), stored in its
/// <see cref="WeightType"/>: F32 as floats, F16/BF16 as 16-bit patterns, quantized types as raw blocks in the
/// two-plane layout of <see cref="WeightTypeInfo"/> (kernels read the blocks directly; nothing is expanded).
/// </summary>
public sealed class DeviceMatrix : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _f32;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _bits;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense>? _blocks;   // quant plane, then scale plane
    private readonly long _quantWords;                               // length of the quant plane in words

    /// <summary>Output rows (the first dimension).</summary>
    public int Rows { get; }

    /// <summary>Values per row (the contiguous dimension).</summary>
    public int Cols { get; }

    /// <summary>How the values are stored.</summary>
    public WeightType Type { get; }

    /// <summary>The traits of <see cref="Type"/>.</summary>
    public WeightTypeInfo Info => WeightTypes.Get(Type);

    /// <summary>The older name of F32/F16/BF16 storage; quantized matrices have none.</summary>
    public WeightFormat Format => Type switch
    {
        WeightType.F32 => WeightFormat.F32,
        WeightType.F16 => WeightFormat.F16,
        WeightType.BF16 => WeightFormat.BF16,
        _ => throw new InvalidOperationException($"Matrix is {Info.Name}: quantized matrices have no {nameof(WeightFormat)}; use {nameof(Type)}."),
    };

    public long ElementCount => (long)Rows * Cols;

    /// <summary>Bytes the matrix takes on the device.</summary>
    public long SizeInBytes => _f32?.LengthInBytes ?? _bits?.LengthInBytes ?? _blocks!.LengthInBytes;

    private DeviceMatrix(int rows, int cols, WeightType type, MemoryBuffer1D<float, Stride1D.Dense>? f32,
        MemoryBuffer1D<ushort, Stride1D.Dense>? bits, MemoryBuffer1D<uint, Stride1D.Dense>? blocks, long quantWords)
    {
        Rows = rows;
        Cols = cols;
        Type = type;
        _f32 = f32;
        _bits = bits;
        _blocks = blocks;
        _quantWords = quantWords;
    }

    /// <summary>
    /// Allocates an uninitialised [rows, cols] matrix of <paramref name="type"/>; fill it with
    /// <see cref="CopyRowsFromHost"/>. Throws naming the type when cols is not a whole number of its blocks.
    /// </summary>
    public static DeviceMatrix Allocate(Accelerator accelerator, WeightType type, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var info = WeightTypes.Get(type);
        info.BytesPerRow(cols);   // validates cols against the block size
        long count = (long)rows * cols;
        switch (type)
        {
            case WeightType.F32:
                return new DeviceMatrix(rows, cols, type, accelerator.Allocate1D<float>(count), null, null, 0);
            case WeightType.F16:
            case WeightType.BF16:
                return new DeviceMatrix(rows, cols, type, null, accelerator.Allocate1D<ushort>(count), null, 0);
            default:
                long blocks = count / info.ValuesPerBlock;
                long quantWords = blocks * info.QuantWords, scaleWords = blocks * info.ScaleWords;
                var buffer = accelerator.Allocate1D<uint>(quantWords + Math.Max(scaleWords, 1));
                return new DeviceMatrix(rows, cols, type, null, null, buffer, quantWords);
        }
    }

    /// <summary>Allocates and fills a matrix from raw GGUF-layout data (rows · BytesPerRow(cols) bytes) in one call.</summary>
    public static DeviceMatrix Upload(Accelerator accelerator, WeightType type, ReadOnlySpan<byte> raw, int rows, int cols)
    {
        var matrix = Allocate(accelerator, type, rows, cols);
        try
        {
            long expected = rows * matrix.Info.BytesPerRow(cols);
            if (raw.Length != expected)
                throw new InvalidDataException($"{matrix.Info.Name} [{rows}, {cols}] takes {expected} bytes, but {raw.Length} were given (truncated or wrong shape?).");
            matrix.CopyRowsFromHost(0, raw);
            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies whole rows of raw GGUF-layout data (any number of rows: a loader streams a large tensor in chunks) into
    /// rows firstRow.. of the matrix, converting to the device layout on the way. Synchronous.
    /// </summary>
    public void CopyRowsFromHost(int firstRow, ReadOnlySpan<byte> rawBlocks)
    {
        var info = Info;
        long rowBytes = info.BytesPerRow(Cols);
        if (rawBlocks.Length % rowBytes != 0)
            throw new InvalidDataException($"{info.Name}: {rawBlocks.Length} bytes is not a whole number of {rowBytes}-byte rows of {Cols} values (truncated data?).");
        int rowCount = (int)(rawBlocks.Length / rowBytes);
        if (firstRow < 0 || firstRow + rowCount > Rows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{firstRow + rowCount - 1} are outside the matrix's {Rows} rows.");
        long first = (long)firstRow * Cols, count = (long)rowCount * Cols;
        switch (Type)
        {
            case WeightType.F32:
                _f32!.View.BaseView.SubView(first, count).CopyFromCPU(MemoryMarshal.Cast<byte, float>(rawBlocks));
                return;
            case WeightType.F16:
            case WeightType.BF16:
                _bits!.View.BaseView.SubView(first, count).CopyFromCPU(MemoryMarshal.Cast<byte, ushort>(rawBlocks));
                return;
        }
        int quantWords = info.QuantWords, scaleWords = info.ScaleWords, blockBytes = info.BytesPerBlock;
        long blocks = count / info.ValuesPerBlock, firstBlock = first / info.ValuesPerBlock;
        var quant = new uint[blocks * quantWords];
        var scale = new uint[blocks * scaleWords];
        for (long b = 0; b < blocks; b++)
            info.Pack(rawBlocks.Slice((int)(b * blockBytes), blockBytes),
                quant.AsSpan((int)(b * quantWords), quantWords), scale.AsSpan((int)(b * scaleWords), scaleWords));
        var view = _blocks!.View.BaseView;
        view.SubView(firstBlock * quantWords, quant.Length).CopyFromCPU(quant);
        if (scale.Length > 0)
            view.SubView(_quantWords + firstBlock * scaleWords, scale.Length).CopyFromCPU(scale);
    }

    /// <summary>Uploads float32 data [rows, cols].</summary>
    public static DeviceMatrix FromFloats(Accelerator accelerator, ReadOnlySpan<float> data, int rows, int cols)
    {
        CheckShape(data.Length, rows, cols);
        return Upload(accelerator, WeightType.F32, MemoryMarshal.AsBytes(data), rows, cols);
    }

    /// <summary>Uploads 16-bit patterns (F16 or BF16) [rows, cols] as they are.</summary>
    public static DeviceMatrix FromBits(Accelerator accelerator, ReadOnlySpan<ushort> data, int rows, int cols, WeightFormat format)
    {
        if (format == WeightFormat.F32)
            throw new ArgumentException("16-bit data needs format F16 or BF16.", nameof(format));
        CheckShape(data.Length, rows, cols);
        return Upload(accelerator, format == WeightFormat.F16 ? WeightType.F16 : WeightType.BF16, MemoryMarshal.AsBytes(data), rows, cols);
    }

    private static void CheckShape(int length, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if ((long)rows * cols != length)
            throw new ArgumentException($"Matrix data has {length} elements, expected {rows} x {cols} = {(long)rows * cols}.");
    }

    /// <summary>The float32 storage; only for F32.</summary>
    public ArrayView<float> Floats => _f32?.View ?? throw new InvalidOperationException($"Matrix is {Info.Name}, not f32.");

    /// <summary>The 16-bit storage; only for F16 and BF16.</summary>
    public ArrayView<ushort> Bits => _bits?.View ?? throw new InvalidOperationException($"Matrix is {Info.Name}, not f16 or bf16.");

    /// <summary>
    /// Whether kernels can read this matrix as 16-byte blocks (<see cref="QuantPlane"/>): always for quantized types,
    /// for F32 when Cols is a multiple of 4, for F16/BF16 when a multiple of 8.
    /// </summary>
    internal bool HasBlockView => Type switch
    {
        WeightType.F32 => Cols % 4 == 0,
        WeightType.F16 or WeightType.BF16 => Cols % 8 == 0,
        _ => true,
    };

    /// <summary>The quant plane as 16-byte vectors (see <see cref="HasBlockView"/>).</summary>
    internal ArrayView<UInt4> QuantPlane => Type switch
    {
        WeightType.F32 => _f32!.View.BaseView.Cast<UInt4>(),
        WeightType.F16 or WeightType.BF16 => _bits!.View.BaseView.Cast<UInt4>(),
        _ => _blocks!.View.BaseView.SubView(0, _quantWords).Cast<UInt4>(),
    };

    /// <summary>The scale plane (one word long for types without one).</summary>
    internal ArrayView<uint> ScalePlane => _blocks is null
        ? QuantPlane.Cast<uint>().SubView(0, 1)
        : _blocks.View.BaseView.SubView(_quantWords, _blocks.Length - _quantWords);

    /// <summary>Reads the whole matrix back and dequantizes it on the host (tests and tools; not for the hot path).</summary>
    public float[] ToFloats()
    {
        var result = new float[ElementCount];
        switch (Type)
        {
            case WeightType.F32:
                return _f32!.GetAsArray1D();
            case WeightType.F16:
            case WeightType.BF16:
                var bits = _bits!.GetAsArray1D();
                Info.Dequantize(MemoryMarshal.AsBytes(bits.AsSpan()), result);
                return result;
        }
        var info = Info;
        var words = _blocks!.GetAsArray1D();
        long blocks = ElementCount / info.ValuesPerBlock;
        var block = new byte[info.BytesPerBlock];
        for (long b = 0; b < blocks; b++)
        {
            info.Unpack(words.AsSpan((int)(b * info.QuantWords), info.QuantWords),
                words.AsSpan((int)(_quantWords + b * info.ScaleWords), info.ScaleWords), block);
            info.Dequantize(block, result.AsSpan((int)(b * info.ValuesPerBlock), info.ValuesPerBlock));
        }
        return result;
    }

    public void Dispose()
    {
        _f32?.Dispose();
        _bits?.Dispose();
        _blocks?.Dispose();
    }
}
