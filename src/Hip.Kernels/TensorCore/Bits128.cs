namespace Hip.Kernels;

/// <summary>16 bytes (eight 16-bit values) moved as one access (ld.global.v4.u32).</summary>
internal struct Bits128
{
    public uint X, Y, Z, W;
}
