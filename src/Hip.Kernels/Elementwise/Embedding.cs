using ILGPU;

namespace Hip.Kernels;

/// <summary>Embedding gather: x[t] = table[tokens[t]].</summary>
public static class Embedding
{
    // table: [vocab, dim]   tokens: [n]   x: [n, dim]; one thread per element of x.
    // Ids outside [0, vocab) are refused on the host before they reach the device; the kernel clamps as a last guard.
    public static void Kernel<TWeight, TReader>(Index1D i, ArrayView<TWeight> table, ArrayView<int> tokens, ArrayView<float> x, int dim, int vocab)
        where TWeight : unmanaged
        where TReader : struct, IWeightReader<TWeight>
    {
        int t = i / dim, d = i % dim;
        int id = IntrinsicMath.Clamp(tokens[t], 0, vocab - 1);
        x[i] = default(TReader).Read(table[(long)id * dim + d]);
    }

    public static void Reference(ReadOnlySpan<float> table, ReadOnlySpan<int> tokens, Span<float> x, int dim)
    {
        for (int t = 0; t < tokens.Length; t++)
            table.Slice(tokens[t] * dim, dim).CopyTo(x.Slice(t * dim, dim));
    }
}
