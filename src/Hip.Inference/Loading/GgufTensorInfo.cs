namespace Hip.Inference;

/// <summary>One entry of a GGUF file's tensor table: name, dims (dims[0] contiguous), type and data offset.</summary>
/// <param name="Name">Tensor name, e.g. "blk.0.attn_q.weight".</param>
/// <param name="Dims">GGUF dims, fastest-varying first: a [rows, cols] matrix is stored as [cols, rows].</param>
/// <param name="Type">Element type.</param>
/// <param name="Offset">Byte offset of the data relative to the start of the data section.</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dims, GgmlType Type, long Offset)
{
    /// <summary>Product of the dims.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Dims)
                count *= d;
            return count;
        }
    }

    /// <summary>The type's name as ggml spells it ("Q4_K"), or "unknown" for a number ggml does not define.</summary>
    public string TypeName => Enum.IsDefined(Type) ? Type.ToString() : "unknown";

    /// <summary>Bytes of data for the supported types (F32, F16, BF16, Q8_0); null for the others.</summary>
    public long? ByteCount => Type switch
    {
        GgmlType.F32 => ElementCount * 4,
        GgmlType.F16 or GgmlType.BF16 => ElementCount * 2,
        GgmlType.Q8_0 => ElementCount / GgufReader.Q8BlockSize * GgufReader.Q8BlockBytes,
        _ => null,
    };

    /// <summary>Dims as "[64, 172]".</summary>
    public string DimsText => $"[{string.Join(", ", Dims)}]";
}
