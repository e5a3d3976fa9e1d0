namespace Hip.Kernels;

/// <summary>One m16n8k16 tensor-core step in a fixed input format, so a kernel generic over it compiles one form per format.</summary>
public interface IMmaOp
{
    /// <summary>c += A·B with the fragments of <see cref="Mma"/>.</summary>
    void Mma(ref float c0, ref float c1, ref float c2, ref float c3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1);
}
