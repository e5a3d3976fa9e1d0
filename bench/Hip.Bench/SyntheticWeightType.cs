using Hip.Inference;

namespace Hip.Bench;

/// <summary>
/// The weight types of a synthetic file: one type for every matrix, or llama.cpp's Q4_K_M / Q5_K_M mix (the same
/// tensors in Q6_K; the rest in the mix's base type, Q4_K or Q5_K).
/// </summary>
internal sealed record SyntheticWeightType(string Name, uint FileType, GgmlType? Uniform, GgmlType MixBase = GgmlType.Q4_K)
{
    public static readonly IReadOnlyList<SyntheticWeightType> All =
    [
        new("f16", 1, GgmlType.F16),
        new("bf16", 32, GgmlType.BF16),
        new("q8_0", 7, GgmlType.Q8_0),
        new("q4_k_m", 15, null),                    // LLAMA_FTYPE_MOSTLY_Q4_K_M
        new("q5_k_m", 17, null, GgmlType.Q5_K),     // LLAMA_FTYPE_MOSTLY_Q5_K_M
    ];

    public static SyntheticWeightType F16 => All[0];

    public static SyntheticWeightType Named(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new UsageException(
            $"--type '{name}' is not a synthetic weight type: use one of {string.Join(", ", All.Select(t => t.Name))}.");

    public bool IsQuantized => Uniform is not (GgmlType.F16 or GgmlType.BF16);

    /// <summary>The type of a matrix whose Q4_K_M type is <paramref name="mixType"/>.</summary>
    public GgmlType Matrix(GgmlType mixType) => Uniform ?? (mixType == GgmlType.Q4_K ? MixBase : mixType);
}
