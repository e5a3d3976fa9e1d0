namespace Hip.Inference;

/// <summary>The header of a GGUF file: metadata and tensor table, read and checked by <see cref="GgufReader.ReadHeader"/>.</summary>
public sealed class GgufFile
{
    /// <summary>The file this header was read from.</summary>
    public required string Path { get; init; }

    /// <summary>GGUF version (2 or 3).</summary>
    public required int Version { get; init; }

    /// <summary>
    /// Metadata values: byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double; arrays as typed
    /// arrays of those (string[], float[], int[] ...) and arrays of arrays as object[].
    /// </summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }

    /// <summary>The tensor table in file order.</summary>
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    /// <summary>Alignment of the data section and of every tensor offset (general.alignment, default 32).</summary>
    public required int Alignment { get; init; }

    /// <summary>Absolute byte offset of the data section.</summary>
    public required long DataOffset { get; init; }

    /// <summary>Size of the file in bytes.</summary>
    public required long FileBytes { get; init; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name)
    {
        _byName ??= Tensors.ToDictionary(t => t.Name);   // names are unique: ReadHeader checks
        return _byName.GetValueOrDefault(name);
    }

    private Dictionary<string, GgufTensorInfo>? _byName;
}
