namespace Hip.Kernels;

/// <summary><see cref="Kernels.Mma.MmaBF16"/> as an <see cref="IMmaOp"/>.</summary>
public struct MmaBF16Op : IMmaOp
{
    /// <inheritdoc/>
    public readonly void Mma(ref float c0, ref float c1, ref float c2, ref float c3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1) =>
        Kernels.Mma.MmaBF16(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
}
