namespace Hip.Inference;

/// <summary>Where a tensor of the file goes in <see cref="ModelWeights"/>.</summary>
public enum WeightSlot
{
    TokenEmbedding, OutputNorm, Output, RopeFrequencies, RopeFactorsLong, RopeFactorsShort,
    AttentionNorm, Wq, Wk, Wv, Wqkv, Bq, Bk, Bv, Wo, FfnNorm, Gate, Up, GateUp, Down,
}

/// <summary>
/// One entry of an architecture's tensor table: the GGUF name, where it goes, its shape [Rows, Cols] (Cols contiguous;
/// Rows 1 for a vector) and whether the file must have it. Tensors a file has that no entry names are refused.
/// </summary>
public sealed record TensorSpec(string Name, WeightSlot Slot, int Layer, long Rows, long Cols, bool Required)
{
    /// <summary>A whole-model tensor.</summary>
    public static TensorSpec Global(string name, WeightSlot slot, long rows, long cols, bool required = true) =>
        new(name, slot, -1, rows, cols, required);

    /// <summary>The tensors "blk.{l}.{name}" of every layer l.</summary>
    public static IEnumerable<TensorSpec> PerLayer(int layers, string name, WeightSlot slot, long rows, long cols, bool required = true) =>
        Enumerable.Range(0, layers).Select(l => new TensorSpec($"blk.{l}.{name}", slot, l, rows, cols, required));

    /// <summary>True for a vector (norm weights, biases, RoPE factors): loaded as float32 whatever its type.</summary>
    public bool IsVector => Rows == 1;

    /// <summary>GGUF dims of the expected shape: [Cols] or [Cols, Rows].</summary>
    public string DimsText => IsVector ? $"[{Cols}]" : $"[{Cols}, {Rows}]";
}
