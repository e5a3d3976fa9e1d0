namespace Hip.Kernels;

/// <summary>Sixteen bytes loaded as one access (ld.global.v4.u32): the unit in which kernels read weight blocks.</summary>
public struct UInt4
{
    public uint X, Y, Z, W;
}
