using System.Text;

namespace Hip.Inference.Tests.Loading;

/// <summary>GGUF files for tests through <see cref="GgufWriter"/>, plus a scanner that finds where the header fields of a (trusted) GGUF file sit.</summary>
internal static class GgufTestFile
{
    /// <summary>A tensor to write: GGUF dims (contiguous first), type and raw data.</summary>
    public sealed record Tensor(string Name, long[] Dims, GgmlType Type, byte[] Data);

    /// <summary>Byte offsets of one tensor info's fields.</summary>
    public sealed record TensorFields(long Start, long DimCount, long FirstDim, long Type, long Offset);

    /// <summary>Byte offsets of a GGUF header's parts.</summary>
    public sealed record Layout(long TensorCount, long KvCount, long FirstKey, long TensorInfos, IReadOnlyDictionary<string, TensorFields> Tensors, long HeaderEnd);

    /// <summary>The metadata and raw tensor data of an existing GGUF file.</summary>
    public static (List<KeyValuePair<string, object>> Metadata, List<Tensor> Tensors) ReadRaw(string path)
    {
        var header = GgufReader.ReadHeader(path);
        var bytes = File.ReadAllBytes(path);
        var tensors = header.Tensors
            .Select(t => new Tensor(t.Name, [.. t.Dims], t.Type,
                bytes.AsSpan((int)(header.DataOffset + t.Offset), (int)t.ByteCount!.Value).ToArray()))
            .ToList();
        return (header.Metadata.ToList(), tensors);
    }

    /// <summary>
    /// A GGUF v3 file with the given metadata (CLR types map to GGUF value types) and tensors in order; general.alignment
    /// is set to <paramref name="alignment"/> when it is not the default or the metadata already has it.
    /// </summary>
    public static byte[] Write(IEnumerable<KeyValuePair<string, object>> metadata, IEnumerable<Tensor> tensors, int alignment = 32)
    {
        var kvs = metadata.Select(kv => kv.Key == GgufKeys.Alignment ? new(kv.Key, (uint)alignment) : kv);
        return GgufWriter.ToBytes(kvs, tensors.Select(t => (new GgufWriter.Tensor(t.Name, t.Dims, t.Type), t.Data)), alignment);
    }

    /// <summary>Where the header fields of <paramref name="file"/> sit (the file must be well formed).</summary>
    public static Layout Scan(byte[] file)
    {
        using var r = new BinaryReader(new MemoryStream(file));
        r.ReadUInt32();
        r.ReadUInt32();
        long tensorCountAt = r.BaseStream.Position;
        ulong tensorCount = r.ReadUInt64();
        long kvCountAt = r.BaseStream.Position;
        ulong kvCount = r.ReadUInt64();
        long firstKey = r.BaseStream.Position;
        for (ulong i = 0; i < kvCount; i++)
        {
            SkipString(r);
            SkipValue(r, r.ReadUInt32());
        }
        long infos = r.BaseStream.Position;
        var tensors = new Dictionary<string, TensorFields>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            long start = r.BaseStream.Position;
            string name = Encoding.UTF8.GetString(r.ReadBytes((int)r.ReadUInt64()));
            long dimCountAt = r.BaseStream.Position;
            uint dims = r.ReadUInt32();
            long firstDimAt = r.BaseStream.Position;
            r.BaseStream.Position += 8 * dims;
            long typeAt = r.BaseStream.Position;
            r.ReadUInt32();
            tensors[name] = new TensorFields(start, dimCountAt, firstDimAt, typeAt, r.BaseStream.Position);
            r.ReadUInt64();
        }
        return new Layout(tensorCountAt, kvCountAt, firstKey, infos, tensors, r.BaseStream.Position);
    }

    public static void PatchU32(byte[] file, long at, uint value) => BitConverter.TryWriteBytes(file.AsSpan((int)at), value);

    public static void PatchU64(byte[] file, long at, ulong value) => BitConverter.TryWriteBytes(file.AsSpan((int)at), value);

    private static void SkipString(BinaryReader r)
    {
        long length = (long)r.ReadUInt64();
        r.BaseStream.Position += length;
    }

    private static void SkipValue(BinaryReader r, uint type)
    {
        switch ((GgufValueType)type)
        {
            case GgufValueType.String: SkipString(r); break;
            case GgufValueType.Array:
                uint elementType = r.ReadUInt32();
                ulong count = r.ReadUInt64();
                for (ulong i = 0; i < count; i++)
                    SkipValue(r, elementType);
                break;
            default:
                r.BaseStream.Position += (GgufValueType)type switch
                {
                    GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
                    GgufValueType.UInt16 or GgufValueType.Int16 => 2,
                    GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
                    _ => 8,
                };
                break;
        }
    }
}
