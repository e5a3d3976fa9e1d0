namespace Hip.Inference;

/// <summary>One tensor of a model file: name, GGUF dims (dims[0] contiguous), element type and absolute byte offset.</summary>
/// <param name="Name">Tensor name in GGUF spelling, e.g. "blk.0.attn_q.weight" (llama2.c arrays are renamed to it).</param>
/// <param name="Dims">Fastest-varying first: a [rows, cols] matrix is [cols, rows].</param>
/// <param name="Type">Element type.</param>
/// <param name="FileOffset">Absolute byte offset of the first element in the file.</param>
public sealed record ModelTensor(string Name, IReadOnlyList<long> Dims, GgmlType Type, long FileOffset)
{
    /// <summary>Values per row (dims[0]).</summary>
    public long Cols => Dims[0];

    /// <summary>Rows: the product of the dims after the first (1 for a vector).</summary>
    public long Rows
    {
        get
        {
            long rows = 1;
            for (int d = 1; d < Dims.Count; d++)
                rows *= Dims[d];
            return rows;
        }
    }

    /// <summary>The type's name as ggml spells it ("Q4_K"), or "type N" for a number ggml does not define.</summary>
    public string TypeName => Enum.IsDefined(Type) ? Type.ToString() : $"type {(uint)Type}";

    /// <summary>Dims as "[4096, 1024]".</summary>
    public string DimsText => $"[{string.Join(", ", Dims)}]";

    public override string ToString() => $"{Name} {TypeName} {DimsText}";
}
