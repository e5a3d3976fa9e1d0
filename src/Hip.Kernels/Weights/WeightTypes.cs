namespace Hip.Kernels;

/// <summary>The weight-type table: one <see cref="WeightTypeInfo"/> per supported <see cref="WeightType"/>.</summary>
public static class WeightTypes
{
    private static readonly Dictionary<WeightType, WeightTypeInfo> s_table = new WeightTypeInfo[]
    {
        new F32(), new F16(), new BF16(),
        new Q4_0(), new Q4_1(), new Q5_0(), new Q5_1(), new Q8_0(),
        new Q4_K(), new Q5_K(), new Q6_K(),
    }.ToDictionary(t => t.Type);

    /// <summary>Every supported type.</summary>
    public static IReadOnlyCollection<WeightTypeInfo> All => s_table.Values;

    /// <summary>The traits of <paramref name="type"/>; throws naming the type and the supported ones when it is not supported.</summary>
    public static WeightTypeInfo Get(WeightType type) =>
        s_table.TryGetValue(type, out var info) ? info : throw new NotSupportedException(
            $"Weight type {type} (ggml type {(int)type}) is not supported; supported: {string.Join(", ", s_table.Values.Select(t => t.Name))}.");

    /// <summary>Whether ggml type id <paramref name="ggmlType"/> is supported.</summary>
    public static bool IsSupported(int ggmlType) => s_table.ContainsKey((WeightType)ggmlType);
}
