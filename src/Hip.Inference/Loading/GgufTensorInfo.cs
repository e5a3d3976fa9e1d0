using Hip.Kernels;
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

    /// <summary>Bytes of data for the types the engine loads (<see cref="WeightTypes"/>); null for the others.</summary>
    public long? ByteCount => WeightTypes.IsSupported((int)Type) && WeightTypes.Get((WeightType)Type) is var info && Dims[0] % info.ValuesPerBlock == 0
        ? ElementCount / info.ValuesPerBlock * info.BytesPerBlock
        : null;

    /// <summary>Dims as "[64, 172]".</summary>
    public string DimsText => $"[{string.Join(", ", Dims)}]";
}
