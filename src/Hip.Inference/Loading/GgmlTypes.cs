namespace Hip.Inference;

/// <summary>Block sizes of the ggml types the loader accepts (REAL-MODELS.md §3; docs/model-formats.md).</summary>
public static class GgmlTypes
{
    /// <summary>Values per block and bytes per block of <paramref name="type"/>, or null when the engine cannot load it.</summary>
    public static (int Values, int Bytes)? Block(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 or GgmlType.BF16 => (1, 2),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        _ => null,
    };

    /// <summary>The supported types, for messages.</summary>
    public const string SupportedList = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";
}
