using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// Reads the header of GGUF files (versions 2 and 3, ggml docs/gguf.md; docs/model-formats.md): metadata and tensor
/// table; <see cref="ModelFile"/> reads the tensor data. Every count and length is checked against the bytes
/// left in the file before anything is allocated, so a corrupt file gives an <see cref="InvalidDataException"/>.
/// </summary>
public static class GgufReader
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    internal const int Q8BlockSize = 32;    // values per Q8_0 block
    internal const int Q8BlockBytes = 34;   // f16 scale + 32 int8

    private const int DefaultAlignment = 32;
    private const int MaxAlignment = 1 << 20;
    private const int MaxArrayDepth = 8;          // nested arrays; deeper input would only exhaust the stack
    private const int MaxKeyBytes = 1 << 16;
    private const int MaxTensorNameBytes = 256;   // ggml allows 63
    private const int MaxDims = 4;
    private const long MaxElements = 1L << 46;    // per tensor; keeps every byte count far from overflow
    private const int MinKeyValueBytes = 8 + 4 + 1;          // key length, value type, smallest value
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset

    /// <summary>Reads and checks the header, metadata and tensor table of the GGUF file at <paramref name="path"/>.</summary>
    public static GgufFile ReadHeader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);   // Cursor buffers the header itself

    private static GgufFile ReadHeader(FileStream stream, string path)
    {
        var r = new Cursor(stream, path);

        // header
        uint magic = r.U32("magic");
        if (magic != Magic)
            throw new InvalidDataException($"{path}: magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\").");
        uint version = r.U32("version");
        if (version == 1)
            throw new InvalidDataException($"{path}: GGUF version 1 (32-bit counts) is not supported; expected version 2 or 3.");
        if (version is not (2 or 3))
            throw new InvalidDataException($"{path}: GGUF version is {version}, expected 2 or 3.");
        ulong tensorCount = r.U64("tensor count");
        ulong kvCount = r.U64("metadata count");
        if (kvCount > (ulong)(r.Remaining / MinKeyValueBytes))
            throw new InvalidDataException(
                $"{path}: metadata count is {kvCount}, but the {r.Remaining} bytes left hold at most {r.Remaining / MinKeyValueBytes} entries.");
        if (tensorCount > (ulong)(r.Remaining / MinTensorInfoBytes))
            throw new InvalidDataException(
                $"{path}: tensor count is {tensorCount}, but the {r.Remaining} bytes left hold at most {r.Remaining / MinTensorInfoBytes} tensor infos.");

        // metadata
        var metadata = new Dictionary<string, object>((int)Math.Min(kvCount, 1024), StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = r.String($"metadata key #{i}", MaxKeyBytes);
            uint type = r.U32($"value type of metadata '{Show(key)}'");
            object value = ReadValue(r, type, $"metadata '{Show(key)}'", depth: 0);
            if (!metadata.TryAdd(key, value))
                throw new InvalidDataException($"{path}: metadata key '{Show(key)}' appears twice (second time as entry #{i}).");
        }
        int alignment = GgufValues.GetOptionalInt32(metadata, GgufKeys.Alignment, path) ?? DefaultAlignment;
        if (alignment <= 0 || alignment > MaxAlignment || !int.IsPow2(alignment))
            throw new InvalidDataException($"{path}: metadata '{GgufKeys.Alignment}' is {alignment}, expected a power of two up to {MaxAlignment}.");

        // tensor infos
        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = r.String($"name of tensor #{i}", MaxTensorNameBytes);
            if (!names.Add(name))
                throw new InvalidDataException($"{path}: tensor name '{Show(name)}' appears twice (second time as tensor #{i}).");
            uint dimCount = r.U32($"dim count of tensor '{Show(name)}'");
            if (dimCount is 0 or > MaxDims)
                throw new InvalidDataException($"{path}: tensor '{Show(name)}' has {dimCount} dims, expected 1 to {MaxDims}.");
            var dims = new long[dimCount];
            long elements = 1;
            for (int d = 0; d < dims.Length; d++)
            {
                ulong size = r.U64($"dim {d} of tensor '{Show(name)}'");
                if (size == 0 || size > MaxElements || (ulong)elements > (ulong)MaxElements / size)
                    throw new InvalidDataException(
                        $"{path}: tensor '{Show(name)}' dim {d} is {size}, expected 1 or more with at most 2^46 elements in all.");
                dims[d] = (long)size;
                elements *= (long)size;
            }
            var ggmlType = (GgmlType)r.U32($"type of tensor '{Show(name)}'");
            ulong offset = r.U64($"data offset of tensor '{Show(name)}'");
            if (offset > (ulong)r.Length)
                throw new InvalidDataException($"{path}: tensor '{Show(name)}' data offset {offset} is past the end of the file ({r.Length} bytes).");
            tensors.Add(new GgufTensorInfo(name, dims, ggmlType, (long)offset));
        }

        // data section: each supported tensor must lie inside the file, and no two may share bytes
        long dataOffset = AlignUp(r.Position, alignment);
        var extents = new List<(long Start, long End, string Name)>(tensors.Count);
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
                throw new InvalidDataException($"{path}: tensor '{Show(t.Name)}' data offset {t.Offset} is not a multiple of the alignment {alignment}.");
            if (t.Type == GgmlType.Q8_0 && t.Dims[0] % Q8BlockSize != 0)
                throw new InvalidDataException(
                    $"{path}: tensor '{Show(t.Name)}' is Q8_0 with rows of {t.Dims[0]} values, expected a multiple of {Q8BlockSize}.");
            if (t.ByteCount is long bytes)
            {
                long start = dataOffset + t.Offset;
                if (start > r.Length || bytes > r.Length - start)
                    throw new InvalidDataException(
                        $"{path}: tensor '{Show(t.Name)}' {t.TypeName} {t.DimsText} needs bytes {start}..{start + bytes}, but the file is {r.Length} bytes.");
                extents.Add((start, start + bytes, t.Name));
            }
        }
        CheckNoOverlap(path, extents);
        CheckBlockCount(path, metadata, tensors.Count);

        return new GgufFile
        {
            Path = path,
            Version = (int)version,
            Metadata = metadata,
            Tensors = tensors,
            Alignment = alignment,
            DataOffset = dataOffset,
            FileBytes = r.Length,
        };
    }

    /// <summary>
    /// Tensors that share bytes would make the loader allocate far more than the file holds (a small file whose every
    /// tensor points at the same data): refused, so the data read is at most the data section.
    /// </summary>
    private static void CheckNoOverlap(string path, List<(long Start, long End, string Name)> extents)
    {
        extents.Sort((x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.End.CompareTo(y.End));
        for (int i = 1; i < extents.Count; i++)
        {
            var (previous, next) = (extents[i - 1], extents[i]);
            if (next.Start < previous.End)
                throw new InvalidDataException(
                    $"{path}: tensors '{Show(previous.Name)}' (bytes {previous.Start}..{previous.End}) and '{Show(next.Name)}' " +
                    $"(bytes {next.Start}..{next.End}) overlap; every tensor needs bytes of its own in the data section.");
        }
    }

    /// <summary>Each block (layer) has tensors of its own, so a block count above the tensor count is corrupt, not a big model.</summary>
    private static void CheckBlockCount(string path, Dictionary<string, object> metadata, int tensorCount)
    {
        if (!metadata.TryGetValue(GgufKeys.Architecture, out var name) || name is not string architecture)
            return;   // missing or mistyped: reported where the architecture is read
        string key = GgufKeys.BlockCount(architecture);
        if (!metadata.TryGetValue(key, out var value))
            return;
        long blocks = value switch
        {
            byte or sbyte or short or ushort or int or uint or long => Convert.ToInt64(value),
            ulong u => u > long.MaxValue ? long.MaxValue : (long)u,
            _ => 0,   // a wrong type is reported where the value is read
        };
        if (tensorCount > 0 && (blocks < 0 || blocks > tensorCount))   // a vocab-only file (no tensors) is a tokenizer, not a model
            throw new InvalidDataException(
                $"{path}: metadata '{Show(key)}' is {blocks}, but the file has {tensorCount} tensors and every block needs tensors of its own.");
    }

    /// <summary>A name from the file as it appears in messages: control characters escaped, at most 64 characters.</summary>
    internal static string Show(string name)
    {
        var text = new StringBuilder();
        foreach (char ch in name.Length > 64 ? name[..64] : name)
            text.Append(char.IsControl(ch) ? $"\\x{(int)ch:X2}" : ch);
        return name.Length > 64 ? $"{text}... ({name.Length} characters)" : text.ToString();
    }

    private static long AlignUp(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static object ReadValue(Cursor r, uint type, string what, int depth)
    {
        switch ((GgufValueType)type)
        {
            case GgufValueType.UInt8: return r.Bytes(1, what)[0];
            case GgufValueType.Int8: return (sbyte)r.Bytes(1, what)[0];
            case GgufValueType.UInt16: return BinaryPrimitives.ReadUInt16LittleEndian(r.Bytes(2, what));
            case GgufValueType.Int16: return BinaryPrimitives.ReadInt16LittleEndian(r.Bytes(2, what));
            case GgufValueType.UInt32: return r.U32(what);
            case GgufValueType.Int32: return BinaryPrimitives.ReadInt32LittleEndian(r.Bytes(4, what));
            case GgufValueType.Float32: return BinaryPrimitives.ReadSingleLittleEndian(r.Bytes(4, what));
            case GgufValueType.Bool: return r.Bytes(1, what)[0] != 0;
            case GgufValueType.String: return r.String(what, long.MaxValue);
            case GgufValueType.UInt64: return r.U64(what);
            case GgufValueType.Int64: return BinaryPrimitives.ReadInt64LittleEndian(r.Bytes(8, what));
            case GgufValueType.Float64: return BinaryPrimitives.ReadDoubleLittleEndian(r.Bytes(8, what));
            case GgufValueType.Array:
                uint elementType = r.U32($"{what} element type");
                ulong count = r.U64($"{what} element count");
                return ReadArray(r, elementType, count, what, depth + 1);
            default:
                throw new InvalidDataException($"{r.Path}: {what} has value type {type}, expected 0 to 12.");
        }
    }

    private static object ReadArray(Cursor r, uint elementType, ulong count, string what, int depth)
    {
        if (depth > MaxArrayDepth)
            throw new InvalidDataException($"{r.Path}: {what} nests arrays {depth} deep, expected at most {MaxArrayDepth}.");
        int elementBytes = (GgufValueType)elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.String => 8,   // at least the length
            GgufValueType.Array => 12,   // at least type and count
            _ => throw new InvalidDataException($"{r.Path}: {what} is an array of value type {elementType}, expected 0 to 12."),
        };
        if (count > (ulong)(r.Remaining / elementBytes) || count * (ulong)elementBytes > int.MaxValue)
            throw new InvalidDataException(
                $"{r.Path}: {what} is an array of {count} elements of {elementBytes}+ bytes, but only {r.Remaining} bytes are left.");
        int n = (int)count;
        switch ((GgufValueType)elementType)
        {
            case GgufValueType.UInt8: return r.Array<byte>(n, what);
            case GgufValueType.Int8: return r.Array<sbyte>(n, what);
            case GgufValueType.UInt16: return r.Array<ushort>(n, what);
            case GgufValueType.Int16: return r.Array<short>(n, what);
            case GgufValueType.UInt32: return r.Array<uint>(n, what);
            case GgufValueType.Int32: return r.Array<int>(n, what);
            case GgufValueType.Float32: return r.Array<float>(n, what);
            case GgufValueType.UInt64: return r.Array<ulong>(n, what);
            case GgufValueType.Int64: return r.Array<long>(n, what);
            case GgufValueType.Float64: return r.Array<double>(n, what);
            case GgufValueType.Bool: return Array.ConvertAll(r.Array<byte>(n, what), b => b != 0);
            case GgufValueType.String:
                var strings = new string[n];
                for (int i = 0; i < n; i++)
                    strings[i] = r.String(what, long.MaxValue, index: i);
                return strings;
            default:
                var arrays = new object[n];
                for (int i = 0; i < n; i++)
                    arrays[i] = ReadValue(r, (uint)GgufValueType.Array, $"{what}[{i}]", depth);
                return arrays;
        }
    }

    /// <summary>Little-endian reads through an own buffer; every read first checks the bytes left in the file.</summary>
    private sealed class Cursor(FileStream stream, string path)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private long _bufferStart;   // file offset of _buffer[0]
        private int _count;          // valid bytes in _buffer
        private int _next;           // next unread byte in _buffer

        public string Path { get; } = path;
        public long Length { get; } = stream.Length;
        public long Position => _bufferStart + _next;
        public long Remaining => Length - Position;

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            Need(count, what);
            return Take(count);
        }

        public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        /// <summary>A length-prefixed UTF-8 string; <paramref name="index"/> (an array element) is only formatted into errors.</summary>
        public string String(string what, long maxBytes, int index = -1)
        {
            if (Remaining < 8)
                Need(8, $"{Name(what, index)} length");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
            if (length > (ulong)Remaining)
                throw new InvalidDataException(
                    $"{Path}: {Name(what, index)} has length {length}, but only {Remaining} bytes are left at offset {Position}.");
            if (length > (ulong)maxBytes || length > int.MaxValue)
                throw new InvalidDataException(
                    $"{Path}: {Name(what, index)} has length {length}, expected at most {Math.Min(maxBytes, int.MaxValue)}.");
            int count = (int)length;
            if (count <= _buffer.Length)
                return Encoding.UTF8.GetString(Take(count));
            var bytes = new byte[count];
            ReadInto(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        public T[] Array<T>(int count, string what) where T : unmanaged
        {
            var values = new T[count];
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            Need(bytes.Length, what);
            ReadInto(bytes);
            return values;
        }

        private static string Name(string what, int index) => index < 0 ? what : $"{what}[{index}]";

        private void Need(long count, string what)
        {
            if (count > Remaining)
                throw new InvalidDataException(
                    $"{Path}: {what} needs {count} bytes at offset {Position}, but the file ends {Remaining} bytes later ({Length} bytes in all).");
        }

        /// <summary>The next <paramref name="count"/> (≤ buffer size, already checked against the file) bytes.</summary>
        private ReadOnlySpan<byte> Take(int count)
        {
            if (_count - _next < count)
            {
                // keep the unread tail, fill the rest of the buffer from the file
                int left = _count - _next;
                _buffer.AsSpan(_next, left).CopyTo(_buffer);
                _bufferStart += _next;
                (_next, _count) = (0, left);
                stream.Position = _bufferStart + _count;
                int wanted = (int)Math.Min(_buffer.Length - _count, Length - stream.Position);
                stream.ReadExactly(_buffer.AsSpan(_count, wanted));
                _count += wanted;
            }
            var span = _buffer.AsSpan(_next, count);
            _next += count;
            return span;
        }

        /// <summary>Fills <paramref name="destination"/> (already checked against the file): buffered bytes first, then the file.</summary>
        private void ReadInto(Span<byte> destination)
        {
            int buffered = Math.Min(_count - _next, destination.Length);
            _buffer.AsSpan(_next, buffered).CopyTo(destination);
            _next += buffered;
            if (buffered == destination.Length)
                return;
            stream.Position = Position;
            stream.ReadExactly(destination[buffered..]);
            (_bufferStart, _next, _count) = (stream.Position, 0, 0);
        }
    }
}
