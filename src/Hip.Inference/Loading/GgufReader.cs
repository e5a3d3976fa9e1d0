using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// Reads GGUF files (versions 2 and 3, ggml docs/gguf.md, docs/model-formats.md): the header with metadata and tensor table,
/// and the weights of a Llama-layout model into host memory. Every count and length is checked against the bytes
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

    /// <summary>Reads a Llama-layout GGUF model (architecture llama or mistral) into host memory.</summary>
    public static LlamaCheckpoint LoadLlama(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenRead(path);
        var file = ReadHeader(stream, path);
        var c = LlamaConfig.FromGguf(file);

        var layers = new LlamaLayerTensors[c.LayerCount];
        for (int l = 0; l < c.LayerCount; l++)
        {
            layers[l] = new LlamaLayerTensors
            {
                AttentionNorm = ReadTensor(stream, file, LlamaTensorNames.AttentionNorm(l), 1, c.Dim),
                Wq = ReadTensor(stream, file, LlamaTensorNames.Wq(l), c.Dim, c.Dim),
                Wk = ReadTensor(stream, file, LlamaTensorNames.Wk(l), c.KvDim, c.Dim),
                Wv = ReadTensor(stream, file, LlamaTensorNames.Wv(l), c.KvDim, c.Dim),
                Wo = ReadTensor(stream, file, LlamaTensorNames.Wo(l), c.Dim, c.Dim),
                FfnNorm = ReadTensor(stream, file, LlamaTensorNames.FfnNorm(l), 1, c.Dim),
                W1 = ReadTensor(stream, file, LlamaTensorNames.W1(l), c.HiddenDim, c.Dim),
                W2 = ReadTensor(stream, file, LlamaTensorNames.W2(l), c.Dim, c.HiddenDim),
                W3 = ReadTensor(stream, file, LlamaTensorNames.W3(l), c.HiddenDim, c.Dim),
            };
        }

        return new LlamaCheckpoint
        {
            Path = path,
            FileFormat = "gguf",
            Config = c,
            TokenEmbedding = ReadTensor(stream, file, LlamaTensorNames.TokenEmbedding, c.VocabSize, c.Dim),
            OutputNorm = ReadTensor(stream, file, LlamaTensorNames.OutputNorm, 1, c.Dim),
            Output = file.FindTensor(LlamaTensorNames.Output) is null
                ? null
                : ReadTensor(stream, file, LlamaTensorNames.Output, c.VocabSize, c.Dim),
            Layers = layers,
            Metadata = file.Metadata,
            FileBytes = file.FileBytes,
        };
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
        if (blocks < 0 || blocks > tensorCount)
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

    /// <summary>Reads one tensor checked against the expected [rows, cols]; vectors (rows = 1) always come back as F32.</summary>
    private static HostTensor ReadTensor(FileStream stream, GgufFile file, string name, int rows, int cols)
    {
        var info = file.FindTensor(name)
            ?? throw new InvalidDataException($"{file.Path}: tensor '{name}' is missing (expected GGUF dims {ExpectedDims(rows, cols)}).");
        CheckShape(file.Path, info, rows, cols);
        if (info.ByteCount is null)
            throw new InvalidDataException(
                $"{file.Path}: tensor '{name}' {info.DimsText}: {info.TypeName} (type {(uint)info.Type}) is not supported; supported: F32, F16, BF16, Q8_0.");
        if (info.ElementCount > Array.MaxLength)
            throw new InvalidDataException($"{file.Path}: tensor '{name}' has {info.ElementCount} elements, more than one host array holds.");

        int count = (int)info.ElementCount;
        stream.Position = file.DataOffset + info.Offset;
        bool vector = rows == 1;
        switch (info.Type)
        {
            case GgmlType.F32:
                var floats = new float[count];
                ReadExactly(stream, floats);
                return HostTensor.FromFloats(name, rows, cols, floats);
            case GgmlType.F16 or GgmlType.BF16:
                var bits = new ushort[count];
                ReadExactly(stream, bits);
                var format = info.Type == GgmlType.F16 ? WeightFormat.F16 : WeightFormat.BF16;
                var tensor = HostTensor.FromBits(name, rows, cols, format, bits);
                return vector ? tensor.ToF32() : tensor;   // norm vectors are always F32
            default:
                return HostTensor.FromFloats(name, rows, cols, DequantizeQ8_0(stream, count));
        }
    }

    private static void CheckShape(string path, GgufTensorInfo info, int rows, int cols)
    {
        var dims = info.Dims;
        bool ok = dims[0] == cols && (dims.Count > 1 ? dims[1] : 1) == rows;
        for (int d = 2; d < dims.Count; d++)
            ok &= dims[d] == 1;
        if (!ok)
            throw new InvalidDataException(
                $"{path}: tensor '{info.Name}' has GGUF dims {info.DimsText}, expected {ExpectedDims(rows, cols)} (a [{rows}, {cols}] row-major {(rows == 1 ? "vector" : "matrix")}).");
    }

    private static string ExpectedDims(int rows, int cols) => rows == 1 ? $"[{cols}]" : $"[{cols}, {rows}]";

    /// <summary>Fills <paramref name="values"/> from the stream in chunks (a multi-GiB tensor exceeds one span of bytes).</summary>
    private static void ReadExactly<T>(Stream stream, T[] values) where T : unmanaged
    {
        const int Chunk = 1 << 24;
        for (int start = 0; start < values.Length; start += Chunk)
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(Chunk, values.Length - start))));
    }

    /// <summary>Q8_0: blocks of an f16 scale d and 32 int8 q; x = q * d (ggml dequantize_row_q8_0).</summary>
    private static float[] DequantizeQ8_0(Stream stream, int count)
    {
        var values = new float[count];
        var buffer = new byte[4096 * Q8BlockBytes];
        int blocks = count / Q8BlockSize;
        for (int first = 0; first < blocks; first += 4096)
        {
            int chunk = Math.Min(4096, blocks - first);
            var bytes = buffer.AsSpan(0, chunk * Q8BlockBytes);
            stream.ReadExactly(bytes);
            for (int b = 0; b < chunk; b++)
            {
                var block = bytes.Slice(b * Q8BlockBytes, Q8BlockBytes);
                float d = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block));
                var q = MemoryMarshal.Cast<byte, sbyte>(block[2..]);
                var output = values.AsSpan((first + b) * Q8BlockSize, Q8BlockSize);
                for (int i = 0; i < Q8BlockSize; i++)
                    output[i] = q[i] * d;
            }
        }
        return values;
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
