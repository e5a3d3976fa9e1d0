using System.Text;

namespace Hip.Inference;

/// <summary>
/// Writes a GGUF v3 file as a stream: the header (metadata and tensor table) first, then each tensor's data in table
/// order, in as many pieces as the caller likes, so files and tensors of any size (many GB) never sit in memory.
/// Metadata values map from CLR types: byte/sbyte/ushort/short/uint/int/ulong/long/float/double/bool/string and arrays
/// of them (string[] for string arrays).
/// </summary>
/// <example>
/// <code>
/// using var writer = new GgufWriter(File.Create(path), metadata, [new("token_embd.weight", [dim, vocab], GgmlType.F16)]);
/// writer.WriteData(bytes);   // any number of calls, exactly the declared bytes per tensor, in order
/// writer.Finish();
/// </code>
/// </example>
public sealed class GgufWriter : IDisposable
{
    /// <summary>One tensor of the table: name, GGUF dims (fastest-varying first), type and its data size in bytes.</summary>
    /// <param name="ByteCount">Data bytes; null computes it from the type (<see cref="DataBytes"/>).</param>
    public sealed record Tensor(string Name, long[] Dims, GgmlType Type, long? ByteCount = null)
    {
        /// <summary>The data size: <see cref="ByteCount"/> when given, else from the type and dims.</summary>
        public long Bytes => ByteCount ?? DataBytes(Type, Dims.Aggregate(1L, (a, b) => a * b));
    }

    private const int DefaultAlignment = 32;
    private readonly Stream _output;
    private readonly BinaryWriter _writer;
    private readonly IReadOnlyList<Tensor> _tensors;
    private readonly int _alignment;
    private readonly long _dataStart;
    private readonly long[] _offsets;
    private int _current;          // index of the tensor being written
    private long _currentWritten;  // bytes of it written so far
    private long _position;        // bytes written since _dataStart
    private bool _finished;

    /// <summary>Writes the header to <paramref name="output"/> (owned: disposed with the writer).</summary>
    /// <param name="alignment">Data alignment; general.alignment is added when it is not the default 32.</param>
    public GgufWriter(Stream output, IEnumerable<KeyValuePair<string, object>> metadata, IReadOnlyList<Tensor> tensors, int alignment = DefaultAlignment)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "The alignment must be a power of two.");
        _output = output;
        _writer = new BinaryWriter(new BufferedStream(output, 1 << 20), Encoding.UTF8, leaveOpen: true);
        _tensors = tensors;
        _alignment = alignment;
        var kvs = metadata.ToList();
        var declared = kvs.FirstOrDefault(kv => kv.Key == GgufKeys.Alignment);
        if (declared.Key is not null && Convert.ToInt64(declared.Value) != alignment)
            throw new ArgumentException($"Metadata {GgufKeys.Alignment} is {declared.Value} but the writer aligns to {alignment}.", nameof(metadata));
        if (declared.Key is null && alignment != DefaultAlignment)
            kvs.Add(new(GgufKeys.Alignment, (uint)alignment));

        var w = _writer;
        w.Write(GgufReader.Magic);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)kvs.Count);
        long headerBytes = 24;
        foreach (var (key, value) in kvs)
        {
            headerBytes += WriteString(w, key) + 4;
            w.Write((uint)TypeOf(value));
            headerBytes += WriteValue(w, value);
        }
        _offsets = new long[tensors.Count];
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            headerBytes += WriteString(w, t.Name) + 4 + 8L * t.Dims.Length + 4 + 8;
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims)
                w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            _offsets[i] = offset;
            offset = Align(offset + t.Bytes, alignment);
        }
        WriteZeros(Align(headerBytes, alignment) - headerBytes);
        _dataStart = Align(headerBytes, alignment);
        SkipEmptyTensors();
    }

    /// <summary>Total bytes of the file once finished.</summary>
    public long FileLength => _tensors.Count == 0 ? _dataStart : _dataStart + _offsets[^1] + _tensors[^1].Bytes;

    /// <summary>Data bytes of <paramref name="elements"/> values of <paramref name="type"/> (block types: whole blocks).</summary>
    public static long DataBytes(GgmlType type, long elements) => type switch
    {
        GgmlType.F32 or GgmlType.I32 => elements * 4,
        GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => elements * 2,
        GgmlType.I8 => elements,
        GgmlType.Q8_0 => elements / 32 * 34,
        GgmlType.Q4_0 => elements / 32 * 18,
        GgmlType.Q4_K => elements / 256 * 144,
        GgmlType.Q5_K => elements / 256 * 176,
        GgmlType.Q6_K => elements / 256 * 210,
        _ => throw new ArgumentException($"GgufWriter has no size rule for {type}: give Tensor.ByteCount.", nameof(type)),
    };

    /// <summary>Appends data to the current tensor (and the following ones when it runs past its end), padding between tensors.</summary>
    public void WriteData(ReadOnlySpan<byte> data)
    {
        if (_finished)
            throw new InvalidOperationException("The GGUF file is already finished.");
        while (data.Length > 0)
        {
            if (_current >= _tensors.Count)
                throw new InvalidOperationException($"{data.Length} bytes more than the {_tensors.Count} declared tensors hold.");
            long room = _tensors[_current].Bytes - _currentWritten;
            int take = (int)Math.Min(room, data.Length);
            _writer.Write(data[..take]);
            _position += take;
            _currentWritten += take;
            data = data[take..];
            if (_currentWritten == _tensors[_current].Bytes)
            {
                _current++;
                _currentWritten = 0;
                SkipEmptyTensors();
            }
        }
    }

    /// <summary>Checks that every declared tensor got all its bytes and flushes.</summary>
    public void Finish()
    {
        if (_current < _tensors.Count)
            throw new InvalidOperationException(
                $"Tensor '{_tensors[_current].Name}' got {_currentWritten} of its {_tensors[_current].Bytes} bytes " +
                $"({_tensors.Count - _current} tensor(s) unfinished): write all data before Finish.");
        _writer.Flush();
        _output.Flush();
        _finished = true;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _output.Dispose();
    }

    /// <summary>A whole file in memory (small files, tests): tensors with their data, in order.</summary>
    public static byte[] ToBytes(IEnumerable<KeyValuePair<string, object>> metadata, IEnumerable<(Tensor Tensor, byte[] Data)> tensors,
        int alignment = DefaultAlignment)
    {
        var list = tensors.Select(t => (Tensor: t.Tensor with { ByteCount = t.Data.Length }, t.Data)).ToList();
        var stream = new MemoryStream();
        using (var writer = new GgufWriter(stream, metadata, list.Select(t => t.Tensor).ToList(), alignment))
        {
            foreach (var (_, data) in list)
                writer.WriteData(data);
            writer.Finish();
        }
        return stream.ToArray();   // MemoryStream.ToArray works after the writer disposed it
    }

    private void SkipEmptyTensors()
    {
        while (_current < _tensors.Count && _tensors[_current].Bytes == 0)
            _current++;
        if (_current < _tensors.Count)
        {
            long padding = _offsets[_current] - _position;
            WriteZeros(padding);
            _position += padding;
        }
    }

    private void WriteZeros(long count)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        for (long left = count; left > 0; left -= zeros.Length)
            _writer.Write(zeros[..(int)Math.Min(left, zeros.Length)]);
    }

    private static long Align(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static long WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
        return 8 + bytes.Length;
    }

    private static GgufValueType TypeOf(object value) => value switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        Array => GgufValueType.Array,
        _ => throw new ArgumentException($"No GGUF type for a metadata value of type {value.GetType()}."),
    };

    private static long WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case byte v: w.Write(v); return 1;
            case sbyte v: w.Write(v); return 1;
            case ushort v: w.Write(v); return 2;
            case short v: w.Write(v); return 2;
            case uint v: w.Write(v); return 4;
            case int v: w.Write(v); return 4;
            case float v: w.Write(v); return 4;
            case bool v: w.Write((byte)(v ? 1 : 0)); return 1;
            case string v: return WriteString(w, v);
            case ulong v: w.Write(v); return 8;
            case long v: w.Write(v); return 8;
            case double v: w.Write(v); return 8;
            case Array a:
                var elementType = a switch
                {
                    string[] => GgufValueType.String,
                    object[] => GgufValueType.Array,
                    _ => TypeOf(Activator.CreateInstance(a.GetType().GetElementType()!)!),
                };
                w.Write((uint)elementType);
                w.Write((ulong)a.Length);
                long bytes = 12;
                foreach (var item in a)
                    bytes += WriteValue(w, item!);
                return bytes;
            default: throw new ArgumentException($"No GGUF type for a metadata value of type {value.GetType()}.");
        }
    }
}
